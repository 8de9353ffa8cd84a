import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELMET_OPTIONS, securityHeaders } from '../src/server/http/security-headers.ts';
import { createTestApp, ENGINES, type TestApp } from './harness.ts';

/**
 * The per-request work issue 20 took out of the hot path keeps its behaviour: security headers
 * computed once still reach every answer (errors included).
 */
describe.each(ENGINES)('per-request overhead on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, {
      extraRoutes: (api) => {
        api.get('/overhead-boom', { config: { public: true } }, async () => {
          throw new Error('boom');
        });
      },
    });
  });
  afterAll(async () => t.close());

  it("sends helmet's full header set, computed once, on answers and on every kind of error", async () => {
    const expected = securityHeaders(HELMET_OPTIONS);
    expect(Object.keys(expected)).toEqual(
      expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-frame-options']),
    );
    expect(expected['content-security-policy']).toContain("frame-ancestors 'none'");
    const answers = await Promise.all([
      t.app.inject('/healthz'), // 200
      t.app.inject('/api/v1/me'), // 401 from the guard
      t.app.inject('/api/v1/no-such-route'), // 404
      t.app.inject('/api/v1/overhead-boom'), // 500
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: '{',
        headers: { 'content-type': 'application/json' },
      }), // 400
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 500, 400]);
    for (const a of answers) {
      for (const [name, value] of Object.entries(expected)) expect(a.headers[name], name).toBe(value);
    }
  });
});
