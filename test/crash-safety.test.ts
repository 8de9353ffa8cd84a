/**
 * Crash safety (reliability 18): `steward serve` on SQLite killed with SIGKILL at random moments
 * while clients create stock-holding items, then started again, round after round. Afterwards the
 * database passes integrity_check and foreign_key_check, every item whose creation was answered
 * 201 is there with its opening stock, and the audit log still verifies.
 * STEWARD_CRASH_ROUNDS sets the number of kills (the promise's 200 takes about ten minutes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { startSteward, stewardCli } from './cli.ts';
import { itemBody, unique } from './factories.ts';
import { post, sessionHeaders } from './net.ts';

const ROUNDS = Number(process.env.STEWARD_CRASH_ROUNDS ?? 8);
const PASSWORD = 'Crash-Safe-Pass-18';

describe('SIGKILL during writes (SQLite)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'steward-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`keeps the database sound and every acknowledged write, over ${ROUNDS} kills`, async () => {
    const email = `${unique('crash').toLowerCase()}@example.com`;
    const acknowledged: string[] = [];
    let session: { cookie: string; csrfToken: string } | null = null;

    for (let round = 0; round < ROUNDS; round++) {
      const server = await startSteward({ dataDir });
      try {
        if (round === 0) {
          const setup = await post(server.url, '/api/v1/setup', {
            businessName: 'Crash Ltd',
            template: 'stores',
            admin: { name: 'Ada Admin', email, password: PASSWORD },
          });
          expect(setup.status).toBe(201);
        }
        if (session === null) {
          const res = await fetch(`${server.url}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password: PASSWORD }),
          });
          expect(res.status).toBe(200);
          const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
          session = { cookie, csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken };
        }
        const headers = sessionHeaders(session);
        let running = true;
        // Four clients creating items until the power goes; a request cut off is not acknowledged.
        const clients = Array.from({ length: 4 }, async () => {
          while (running) {
            const body = itemBody({ openingStock: 3 });
            const res = await post(server.url, '/api/v1/items', body, headers).catch(() => null);
            if (res?.status === 201) acknowledged.push(body.sku as string);
            else if (res !== null) throw new Error(`item creation answered ${res.status}: ${JSON.stringify(res.body)}`);
          }
        });
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 600));
        await server.kill();
        running = false;
        await Promise.all(clients);
      } finally {
        await server.kill();
      }
    }
    expect(acknowledged.length).toBeGreaterThan(ROUNDS);

    const db = new DatabaseSync(path.join(dataDir, 'steward.sqlite'));
    try {
      expect(db.prepare('pragma integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
      expect(db.prepare('pragma foreign_key_check').all()).toEqual([]);
      const stored = new Map(
        (db.prepare('select sku, on_hand from items').all() as { sku: string; on_hand: number }[]).map((r) => [
          r.sku,
          Number(r.on_hand),
        ]),
      );
      const missing = acknowledged.filter((sku) => !stored.has(sku));
      expect(missing).toEqual([]);
      expect(acknowledged.filter((sku) => stored.get(sku) !== 3)).toEqual([]);
    } finally {
      db.close();
    }
    const verify = stewardCli(dataDir)(['audit', 'verify']);
    expect(verify.err).not.toMatch(/does NOT verify/);
    expect(verify.code).toBe(0);
  }, 600_000);
});
