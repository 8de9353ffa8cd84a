import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import bcrypt from 'bcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import { stewardCli } from '../../test/cli.ts';

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
