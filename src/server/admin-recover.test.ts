import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import bcrypt from 'bcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import { STEWARD_BIN, stewardCli, stewardEnv } from '../../test/cli.ts';
import { freePort } from '../../test/net.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'steward-recover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const steward = stewardCli(dir);

describe('steward admin (locked out?)', () => {
  it('lists administrators and gives a demoted, denied, deactivated admin back the Admin role and a one-time password', () => {
    const pw = path.join(dir, 'pw.txt');
    writeFileSync(pw, 'Sturdy-Pass-42-recover\n');
    expect(
      steward(['init', '--template', 'stores', '--admin-email', 'boss@example.com', '--admin-password-file', pw]).code,
    ).toBe(0);
    expect(steward(['admin', 'list']).out).toMatch(/boss@example\.com .*role Admin\s+\(active\)/);

    // Lock the business out the way no request may: straight in the database.
    const db = new DatabaseSync(path.join(dir, 'steward.sqlite'));
    db.exec(
      `update users set role_key = 'user', active = 0, failed_logins = 10, locked_until = '2999-01-01T00:00:00Z'`,
    );
    const id = (db.prepare('select id from users').get() as { id: string }).id;
    db.prepare(
      `insert into user_overrides (user_id, permission, effect, scope, expires_at, reason, granted_by, created_at)
       values (?, 'users.edit', 'deny', 'any', null, 'oops', ?, '2026-11-30T00:00:00Z')`,
    ).run(id, id);
    db.close();
    const listed = steward(['admin', 'list']);
    expect(listed.out).toMatch(/Nobody holds the administrative set/);

    expect(steward(['admin', 'recover']).code).toBe(2);
    expect(steward(['admin', 'recover', '--email', 'nobody@example.com', '--restore-admin']).err).toMatch(
      /There is no user with the email nobody@example\.com/,
    );
    const r = steward(['admin', 'recover', '--email', 'Boss@Example.com', '--restore-admin', '--reset-password']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const temporary = /Temporary password \(shown once[^)]*\): (\S+)/.exec(r.out)?.[1] as string;
    expect(temporary).toMatch(/^[A-Za-z0-9-]{14,}$/);

    const after = new DatabaseSync(path.join(dir, 'steward.sqlite'));
    const user = after
      .prepare('select role_key, active, must_change_password, failed_logins, locked_until, password_hash from users')
      .get() as Record<string, unknown>;
    expect(user).toMatchObject({
      role_key: 'admin',
      active: 1,
      must_change_password: 1,
      failed_logins: 0,
      locked_until: null,
    });
    expect(bcrypt.compareSync(temporary, user.password_hash as string)).toBe(true);
    expect(after.prepare('select count(*) as n from user_overrides').get()).toEqual({ n: 0 });
    const event = after
      .prepare(`select actor_user_id, actor_label, target_id from audit_events where action = 'users.recovered'`)
      .get() as Record<string, unknown>;
    after.close();
    expect(event.actor_user_id).toBeNull();
    expect(String(event.actor_label)).toMatch(/^steward admin recover \(OS user .+\)$/);
    expect(event.target_id).toBe(id);
    expect(steward(['admin', 'list']).out).toMatch(/boss@example\.com .*role Admin\s+\(active\)/);
    expect(steward(['audit', 'verify']).code).toBe(0);
  }, 120_000);
});

describe('steward admin recover beside a running server (reliability 31)', () => {
  const here = mkdtempSync(path.join(tmpdir(), 'steward-recover-live-'));
  let server: ChildProcess | null = null;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(here, { recursive: true, force: true });
  });

  it('waits its turn while ten writers keep writing through the server: none answers 5xx, the sessions end, the chain verifies', async () => {
    const cli = stewardCli(here);
    const pw = path.join(here, 'pw.txt');
    writeFileSync(pw, 'Sturdy-Pass-42-live\n');
    expect(
      cli(['init', '--template', 'stores', '--admin-email', 'boss@example.com', '--admin-password-file', pw]).code,
    ).toBe(0);
    const port = await freePort();
    server = spawn(process.execPath, [STEWARD_BIN, 'serve'], { env: stewardEnv(here, { PORT: String(port) }) });
    const base = `http://127.0.0.1:${port}/api/v1`;
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    const signIn = (password: string) =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boss@example.com', password }),
      });
    const login = await signIn('Sturdy-Pass-42-live');
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
    const created = await fetch(`${base}/items`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sku: 'LIVE-1', name: 'Recover beside', openingStock: 0 }),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: string };

    // The recovery runs in its own process while the writes are under way.
    const recovered = new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [STEWARD_BIN, 'admin', 'recover', '--email', 'boss@example.com', '--reset-password', '--reset-two-factor'],
        { env: stewardEnv(here) },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      child.once('exit', (code) => resolve({ code, out }));
    });
    // Ten writers keep writing until the recovery has finished (bounded), so it lands among them.
    let done = false;
    void recovered.then(() => {
      done = true;
    });
    const answers: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 200 && !done; i++) {
          const res = await fetch(`${base}/items/${item.id}/stock`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ kind: 'in', quantity: 1 }),
          });
          answers.push(res.status);
        }
      }),
    );
    const r = await recovered;
    expect(r.code).toBe(0);
    // Before the recovery a write succeeds; after it the ended session is refused (401); nothing else.
    expect(answers.filter((s) => s !== 200 && s !== 201 && s !== 401)).toEqual([]);
    expect(answers.filter((s) => s === 200 || s === 201).length).toBeGreaterThan(0);
    expect((await fetch(`${base}/me`, { headers })).status).toBe(401);
    const temporary = /Temporary password \(shown once[^)]*\): (\S+)/.exec(r.out)?.[1] as string;
    expect((await signIn(temporary)).status).toBe(200);
    server.kill('SIGTERM');
    await new Promise((res) => server?.once('exit', res));
    server = null;
    // Both processes wrote to one audit chain: it verifies.
    expect(cli(['audit', 'verify']).code).toBe(0);
  }, 120_000);
});
