import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STEWARD_BIN, stewardCli, stewardEnv } from '../../../test/cli.ts';
import { freePort } from '../../../test/net.ts';
import { openDatabase } from './database.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'steward-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const env = (port: number) => stewardEnv(dir, { PORT: String(port) });
const steward = stewardCli(dir);

function serve(port: number): { child: ChildProcess; exited: Promise<{ code: number | null; err: string }> } {
  const child = spawn(process.execPath, [STEWARD_BIN, 'serve'], { env: env(port) });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve({ code, err }))) };
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

describe('one data directory, one server (reliability 31)', () => {
  it('refuses a second server naming the first, while the CLI and another writer keep writing beside it', async () => {
    const pw = path.join(dir, 'pw.txt');
    writeFileSync(pw, 'Sturdy-Pass-42-lock\n');
    const init = steward([
      'init',
      '--template',
      'stores',
      '--admin-email',
      'boss@example.com',
      '--admin-password-file',
      pw,
    ]);
    expect(init.err).toBe('');
    const [portA, portB] = [await freePort(), await freePort()];
    const a = serve(portA);
    await waitHealthy(portA);

    const b = serve(portB);
    const refused = await b.exited;
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`process ${a.child.pid}`);
    expect(refused.err).toContain(dir);

    // Parallel writes through the server while another process writes to the same file.
    const base = `http://127.0.0.1:${portA}/api/v1`;
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'boss@example.com', password: 'Sturdy-Pass-42-lock' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
    const created = await fetch(`${base}/items`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sku: 'LOCK-1', name: 'Lock test item', openingStock: 0 }),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: string };
    const other = openDatabase({ kind: 'sqlite', file: path.join(dir, 'steward.sqlite') });
    const now = new Date().toISOString();
    // Another process reads, pauses, then writes in one transaction: the pattern that made a
    // deferred BEGIN fail with "database is locked" on one side or the other.
    const beside = (async () => {
      for (let i = 0; i < 40; i++) {
        await other.db.transaction().execute(async (trx) => {
          await trx.selectFrom('categories').select('id').limit(1).execute();
          await new Promise((r) => setTimeout(r, 2));
          await trx
            .insertInto('categories')
            .values({
              id: randomUUID(),
              name: `beside ${i}`,
              description: '',
              archived_at: null,
              created_at: now,
              updated_at: now,
            })
            .execute();
        });
      }
    })();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${base}/items/${item.id}/stock`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ kind: 'in', quantity: 1 }),
        }).then((r) => r.status),
      ),
    );
    await beside;
    expect(answers.filter((s) => s >= 500)).toEqual([]);
    expect(answers.every((s) => s === 200 || s === 201)).toBe(true);
    const count = await other.db
      .selectFrom('categories')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(40);
    const stock = await other.db
      .selectFrom('items')
      .select('on_hand')
      .where('id', '=', item.id)
      .executeTakeFirstOrThrow();
    expect(Number(stock.on_hand)).toBe(100);
    await other.close();

    // The CLI works beside the running server.
    expect(steward(['audit', 'verify']).code).toBe(0);

    a.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    // The lock left with it: a new server starts.
    const c = serve(portB);
    await waitHealthy(portB);
    c.child.kill('SIGTERM');
    await c.exited;
  }, 120_000);
});
