/**
 * SIGTERM with requests in flight: they finish, and the server exits at once afterwards. Found by
 * an attack on issue 20's changes: a keep-alive connection busy when closing began went idle after
 * its answer and held the close for the keep-alive timeout (72 s), so the 10 s forced exit (code
 * 1) cut it short and the database was never closed.
 */
import { describe, expect, it } from 'vitest';
import { startSteward } from './cli.ts';
import { createTestDatabase, ENGINES } from './harness.ts';
import { post } from './net.ts';

describe.each(ENGINES)('steward serve on SIGTERM on %s', (engine) => {
  it('answers the requests in flight and exits within seconds', async () => {
    const database = await createTestDatabase(engine);
    const server = await startSteward(
      database.config.kind === 'postgres' ? { env: { DATABASE_URL: database.config.url } } : {},
    );
    const email = 'shutdown@example.com';
    const password = 'Shutdown-Graceful-20';
    const setup = await post(server.url, '/api/v1/setup', {
      businessName: 'Shutdown Ltd',
      template: 'stores',
      admin: { name: 'Ada Admin', email, password },
    });
    expect(setup.status).toBe(201);
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    // Keep-alive connections (fetch keeps them), many of them busy when the signal comes.
    const inFlight = Array.from({ length: 40 }, () =>
      fetch(`${server.url}/api/v1/audit?limit=200`, { headers: { cookie } }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await server.stop();
    const took = Date.now() - t0;
    const statuses = await Promise.all(inFlight);
    expect(statuses.filter((s) => s !== 200 && s !== 503 && s !== 0)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(took).toBeLessThan(5000);
    await database.drop();
  }, 30_000);
});
