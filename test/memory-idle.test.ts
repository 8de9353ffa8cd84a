/**
 * Memory stays small (reliability 33): `steward serve` on a fresh data directory — its first
 * start, migrations and all — idles under 100 MB of resident memory (VmRSS, read from /proc), and
 * a second load identical to a first grows it by less than 20 MB.
 *
 * KNOWN BROKEN: the idle server measures about 150 MB on Node 24 (about 40 MB is Node itself,
 * about 17 MB its type stripping, about 45 MB Fastify, Kysely, Zod and pg, the rest Steward's
 * modules and V8's young generation). `it.fails` keeps the measurement live: once the server
 * idles under the promise this test fails, and `it.fails` must become `it`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StewardServer, startSteward } from './cli.ts';
import { itemBody, unique } from './factories.ts';
import { post, send, sessionHeaders, signInOver } from './net.ts';

const MB = 1024 * 1024;

/** Resident memory of a process, from /proc/<pid>/status (kB). */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/\d+/)?.[0]) * 1024;
}

describe('a first start on a fresh data directory (SQLite)', () => {
  let server: StewardServer;
  let idle = 0;
  beforeAll(async () => {
    server = await startSteward();
    await fetch(`${server.url}/healthz`);
    // Idle: nothing asked of it for a few seconds.
    await new Promise((r) => setTimeout(r, 3000));
    idle = rssBytes(server.pid);
    console.info(`steward serve idles at ${(idle / MB).toFixed(1)} MB RSS after its first start`);
  }, 90_000);
  afterAll(() => server?.stop());

  it('measures the server process itself', () => {
    expect(idle).toBeGreaterThan(10 * MB);
  });

  it.fails('idles under 100 MB (known broken: about 150 MB)', () => {
    expect(idle).toBeLessThan(100 * MB);
  });

  it('grows by less than 20 MB over a second load identical to the first', async () => {
    const email = `${unique('mem').toLowerCase()}@example.com`;
    const password = 'Memory-Small-33';
    const setup = await post(server.url, '/api/v1/setup', {
      businessName: 'Memory Ltd',
      template: 'stores',
      admin: { name: 'Ada Admin', email, password },
    });
    expect(setup.status).toBe(201);
    const headers = sessionHeaders(await signInOver(server.url, email, password));
    // A load: 8 clients, each creating 25 items and listing, searching and reading the audit log.
    const load = () =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 25; i++) {
            expect((await post(server.url, '/api/v1/items', itemBody({ openingStock: 2 }), headers)).status).toBe(201);
            expect((await send(server.url, 'GET', '/api/v1/items?limit=50', undefined, headers)).status).toBe(200);
            expect((await send(server.url, 'GET', '/api/v1/items?q=item', undefined, headers)).status).toBe(200);
            expect((await send(server.url, 'GET', '/api/v1/audit?limit=50', undefined, headers)).status).toBe(200);
          }
        }),
      );
    const settle = () => new Promise((r) => setTimeout(r, 1500));
    await load();
    await settle();
    const afterFirst = rssBytes(server.pid);
    await load();
    await settle();
    const afterSecond = rssBytes(server.pid);
    console.info(
      `steward serve: ${(afterFirst / MB).toFixed(1)} MB RSS after a first load, ${(afterSecond / MB).toFixed(1)} MB after a second`,
    );
    expect(afterSecond - afterFirst).toBeLessThan(20 * MB);
  }, 120_000);
});
