import { Writable } from 'node:stream';
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

describe('request logging', () => {
  it('writes one line per answer with its request id, and none for a probe that finds the server well', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const t = await createTestApp(ENGINES[0] ?? 'sqlite', { config: { logLevel: 'info' }, logStream: stream });
    try {
      const me = await t.app.inject('/api/v1/me');
      await t.app.inject('/healthz');
      const answered = lines.filter((l) => l.msg === 'answered');
      expect(answered).toEqual([
        expect.objectContaining({ reqId: me.json().requestId, method: 'GET', url: '/api/v1/me', status: 401 }),
      ]);
      // Fastify's own two lines per request ("incoming request", "request completed") are gone.
      expect(lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('costs nothing when info is off: no line is written', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const t = await createTestApp(ENGINES[0] ?? 'sqlite', { config: { logLevel: 'warn' }, logStream: stream });
    try {
      await t.app.inject('/api/v1/me');
      expect(lines).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
