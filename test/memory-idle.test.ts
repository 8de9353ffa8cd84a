/**
 * Memory stays small (reliability 33): `steward serve` on a fresh data directory — its first
 * start, migrations and all — idles under 100 MB of resident memory (VmRSS, read from /proc), and
 * a second load identical to a first grows it by less than 20 MB.
 *
 * KNOWN SHORT of the promise (issue 20): the idle server measures 125–135 MB on Node 24 (168–174 MB
 * before its types were stripped ahead of time, ICU kept out of start-up and pg loaded only on
 * PostgreSQL): about 47 MB is Node's own binary in memory, about 35 MB V8's young generation as
 * start-up left it, about 30 MB the code and sources of Zod, Kysely, Fastify and Steward. A
 * memory-reducing collection after start-up brought it to 97 MB but cost up to half the
 * throughput of /healthz afterwards, so it is not done. The test holds the line at 150 MB, where
 * a regression shows, and prints the figure; `it.fails` keeps the 100 MB promise in view: once
 * the server idles under it that test fails, and `it.fails` must become `it`.
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

  it('runs with a capped young generation and two malloc arenas (bin/steward.mjs)', () => {
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--max-semi-space-size=16');
    expect(readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
  });

  it('idles under 150 MB (a regression guard: 125–135 MB measured)', () => {
    expect(idle).toBeLessThan(150 * MB);
  });

  it.fails('idles under 100 MB (known short: 125–135 MB)', () => {
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
