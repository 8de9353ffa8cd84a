/**
 * A 15 MB body on a JSON route, over real HTTP (reliability 23 and 30): refused with a 413
 * problem before any of it is parsed or stored, while another client keeps being answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../src/server/app.ts';
import { itemBody } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe.each(ENGINES)('a 15 MB JSON body (%s)', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine));
    base = await listenLocal(t.app);
  });
  afterAll(() => t.close());

  const itemCount = async () =>
    (await send<{ total: number }>(base, 'GET', '/api/v1/items?limit=1', undefined, sessionHeaders(admin))).body.total;

  it('is refused with 413 from a signed-in admin, three at once, while another client is answered', async () => {
    const before = await itemCount();
    expect(before).toBeTypeOf('number');
    // A valid item whose description alone is 15 MB.
    const body = JSON.stringify(itemBody({ description: 'x'.repeat(15 * 1024 * 1024) }));
    expect(body.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    const big = () =>
      fetch(`${base}/api/v1/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sessionHeaders(admin) },
        body,
      }).then(async (res) => ({ status: res.status, type: res.headers.get('content-type'), body: await res.json() }));
    const polls: number[] = [];
    const [a, b, c] = await Promise.all([
      big(),
      big(),
      big(),
      (async () => {
        for (let i = 0; i < 5; i++) polls.push((await fetch(`${base}/healthz`)).status);
      })(),
    ]);
    for (const r of [a, b, c]) {
      expect(r.status).toBe(413);
      expect(r.type).toBe(PROBLEM);
      expect(r.body).toMatchObject({ status: 413 });
    }
    expect(polls).toEqual([200, 200, 200, 200, 200]);
    expect(await itemCount()).toBe(before);
  });

  it('is refused before sign-in is even checked, without a session', async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(15 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe(PROBLEM);
  });
});
