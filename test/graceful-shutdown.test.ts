/**
 * SIGTERM with requests in flight: they finish, and the server exits at once afterwards. Found by
 * an attack on issue 20's changes: a keep-alive connection busy when closing began went idle after
 * its answer and held the close for the keep-alive timeout (72 s), so the 10 s forced exit (code
 * 1) cut it short and the database was never closed.
 *
 * Logs are written without blocking (issue 20): the lines of the answers and the last line before
 * exit still reach standard output — nothing pending is lost when the process ends.
 */
import { describe, expect, it } from 'vitest';
import { startSteward } from './cli.ts';
import { createTestDatabase, ENGINES } from './harness.ts';
import { post, signInOver } from './net.ts';

describe.each(ENGINES)('steward serve on SIGTERM on %s', (engine) => {
  it('answers the requests in flight, logs them, and exits within seconds', async () => {
    const database = await createTestDatabase(engine);
    const server = await startSteward({
      stdout: 'pipe',
      env: {
        LOG_LEVEL: 'info',
        ...(database.config.kind === 'postgres' ? { DATABASE_URL: database.config.url } : {}),
      },
    });
    const email = 'shutdown@example.com';
    const password = 'Shutdown-Graceful-20';
    const setup = await post(server.url, '/api/v1/setup', {
      businessName: 'Shutdown Ltd',
      template: 'stores',
      admin: { name: 'Ada Admin', email, password },
    });
    expect(setup.status).toBe(201);
    const { cookie } = await signInOver(server.url, email, password);
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

    const lines = server
      .output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg?: string; url?: string; status?: number });
    // One line per answer given: every 200 above is in the log, and so is the goodbye (answers
    // finishing after it are logged after it).
    const answered = lines.filter((l) => l.msg === 'answered' && l.url === '/api/v1/audit?limit=200');
    expect(answered.filter((l) => l.status === 200).length).toBe(statuses.filter((s) => s === 200).length);
    expect(lines.filter((l) => l.msg === 'shutting down')).toHaveLength(1);
    await database.drop();
  }, 30_000);
});
