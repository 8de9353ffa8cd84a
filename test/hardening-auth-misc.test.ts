/**
 * Issue 10, the rest of the accounts findings, on every engine: API keys end with a password
 * change, a reset or a deactivation, for good (M8); private API answers are not cached (L4);
 * common passwords are refused (L5); the audit `area` is covered by the hash chain (L6); the
 * database, its WAL and the keys are readable by their owner only, the key apart from the data (L7).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import type { DB } from '../src/server/db/schema.ts';
import { openSqlite } from '../src/server/db/sqlite.ts';
import { CheckpointSigner } from '../src/server/modules/audit/checkpoint-signer.ts';
import { passwordProblems } from '../src/shared/password-policy.ts';
import { createApiKey } from './factories.ts';
import {
  ADMIN_PASSWORD,
  createBusinessApp,
  createStaff,
  createTestApp,
  ENGINES,
  login,
  type Session,
  STAFF_PASSWORD,
  type TestApp,
} from './harness.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

describe.each(ENGINES)('API keys end with the password, for good (M8) on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  async function keyOf(owner: Session): Promise<{ key: string; id: string }> {
    const body = await createApiKey(owner, ['users.view']);
    const works = await t.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${body.key}` },
    });
    expect(works.statusCode).toBe(200);
    return { key: body.key, id: body.apiKey.id };
  }
  const use = (key: string) =>
    t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${key}` } });
  async function revokedAt(id: string): Promise<string | null> {
    const row = await t.app.services.database.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return row.revoked_at;
  }
  async function lastEvent(action: string) {
    const row = await t.app.services.database.db
      .selectFrom('audit_events')
      .select(['after'])
      .where('action', '=', action)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    return JSON.parse(row.after ?? '{}') as Record<string, unknown>;
  }

  it('revokes the keys of a user who changes their password, audited with the change', async () => {
    const staff = await createStaff(t.app, admin, 'admin');
    const k = await keyOf(staff.session);
    const res = await staff.session.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: STAFF_PASSWORD, newPassword: 'Another-Staff-91' },
    });
    expect(res.statusCode).toBe(200);
    expect((await use(k.key)).statusCode).toBe(401);
    expect(await revokedAt(k.id)).not.toBeNull();
    expect((await lastEvent('auth.password_change')).apiAccessRevoked).toEqual([k.id]);
  });

  it('revokes the keys on a reset, and they stay revoked once the user has a password again', async () => {
    const staff = await createStaff(t.app, admin, 'admin');
    const k = await keyOf(staff.session);
    const reset = await admin.inject({ method: 'POST', url: `/api/v1/users/${staff.id}/reset-password`, payload: {} });
    expect(reset.statusCode).toBe(200);
    expect((await use(k.key)).statusCode).toBe(401);
    expect((await lastEvent('users.reset_password')).apiAccessRevoked).toEqual([k.id]);
    const first = await login(t.app, staff.email, reset.json().temporaryPassword);
    const changed = await first.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: reset.json().temporaryPassword, newPassword: 'Back-Again-4242' },
    });
    expect(changed.statusCode).toBe(200);
    expect((await use(k.key)).statusCode).toBe(401);
  });

  it('revokes the keys on deactivation; reactivation does not bring them back', async () => {
    const staff = await createStaff(t.app, admin, 'admin');
    const k = await keyOf(staff.session);
    const off = await admin.inject({
      method: 'POST',
      url: `/api/v1/users/${staff.id}/deactivate`,
      payload: { reason: 'left' },
    });
    expect(off.statusCode).toBe(200);
    expect((await lastEvent('users.deactivate')).apiAccessRevoked).toEqual([k.id]);
    const on = await admin.inject({
      method: 'POST',
      url: `/api/v1/users/${staff.id}/reactivate`,
      payload: { reason: 'back' },
    });
    expect(on.statusCode).toBe(200);
    expect((await use(k.key)).statusCode).toBe(401);
    expect(await revokedAt(k.id)).not.toBeNull();
    const list = (await admin.inject({ method: 'GET', url: '/api/v1/api-keys' })).json().items as {
      id: string;
      status: string;
    }[];
    expect(list.find((x) => x.id === k.id)?.status).toBe('revoked');
  });
});

describe.each(ENGINES)('private answers, passwords and the audit area on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it('marks every API answer with personal data Cache-Control: no-store, not the OpenAPI document (L4)', async () => {
    for (const url of ['/api/v1/me', '/api/v1/users', '/api/v1/audit', '/api/v1/audit/export?format=csv']) {
      const res = await admin.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'x@example.com', password: 'Nope-Nope-1' },
    });
    expect(login.headers['cache-control']).toBe('no-store');
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.headers['cache-control']).not.toBe('no-store');
  });

  it('refuses common passwords with a clear message, in the shared policy and on the server (L5)', async () => {
    for (const p of ['Password1', 'Qwerty123', 'Iloveyou1', 'PASSWORD1']) {
      expect(passwordProblems(p).join(' '), p).toMatch(/one of the most common passwords/);
    }
    expect(passwordProblems('Correct-Horse-9')).toEqual([]);
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: 'Password1' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/one of the most common passwords/);
    expect(res.json().errors[0].path).toBe('newPassword');
    const created = await admin.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'common@example.com', name: 'Common', roleKey: 'user', temporaryPassword: 'Welcome123' },
    });
    expect(created.statusCode).toBe(422);
  });

  it('covers the audit area with the hash: re-filing an event under another area breaks the chain (L6)', async () => {
    const db = t.app.services.database.db;
    expect((await admin.inject({ method: 'GET', url: '/api/v1/audit/verify' })).json().ok).toBe(true);
    if (engine === 'postgres') await sql`drop trigger audit_events_append_only on audit_events`.execute(db);
    else await sql`drop trigger audit_events_no_update`.execute(db);
    const first = await db.selectFrom('audit_events').select(['seq', 'area']).orderBy('seq').executeTakeFirstOrThrow();
    await db.updateTable('audit_events').set({ area: 'inventory' }).where('seq', '=', first.seq).execute();
    const res = (await admin.inject({ method: 'GET', url: '/api/v1/audit/verify' })).json();
    expect(res.ok).toBe(false);
    expect(res.brokenAt).toBe(first.seq);
    await db.updateTable('audit_events').set({ area: first.area }).where('seq', '=', first.seq).execute();
    expect((await admin.inject({ method: 'GET', url: '/api/v1/audit/verify' })).json().ok).toBe(true);
  });
});

describe('files readable by their owner only, keys apart from the data (L7)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-modes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the data directory 0700 and the database, its WAL and shared memory 0600', async () => {
    const file = path.join(dir, 'fresh', 'data', 'steward.sqlite');
    const raw = openSqlite(file);
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) });
    await sql`create table t (x integer)`.execute(db);
    await sql`insert into t values (1)`.execute(db);
    expect(mode(path.dirname(file))).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      expect(existsSync(f), f).toBe(true);
      expect(mode(f), f).toBe(0o600);
    }
    await db.destroy();
  });

  it('tightens a database left world-readable by an older version', async () => {
    const { chmodSync } = await import('node:fs');
    const file = path.join(dir, 'old', 'steward.sqlite');
    const first = openSqlite(file);
    first.close();
    chmodSync(file, 0o644);
    const again = openSqlite(file);
    expect(mode(file)).toBe(0o600);
    again.close();
  });

  it('creates the signing key 0600 in a 0700 directory, and the checkpoints file 0600', () => {
    const keyFile = path.join(dir, 'keys', 'audit-signing-key.pem');
    const signer = new CheckpointSigner(keyFile, path.join(dir, 'keys', 'audit-checkpoints.jsonl'));
    signer.record(signer.sign({ seq: 1, hash: 'a'.repeat(64), at: new Date(0).toISOString() }));
    expect(mode(path.dirname(keyFile))).toBe(0o700);
    expect(mode(keyFile)).toBe(0o600);
    expect(mode(path.join(dir, 'keys', 'audit-checkpoints.jsonl'))).toBe(0o600);
  });

  it('keeps the signing key out of the data directory by default (STEWARD_KEY_DIR, ./keys)', () => {
    const c = loadConfig({}, '/srv/steward');
    expect(c.audit.keyFile).toBe('/srv/steward/keys/audit-signing-key.pem');
    expect(c.audit.checkpointFile).toBe('/srv/steward/keys/audit-checkpoints.jsonl');
    expect(c.audit.keyFile.startsWith(`${c.dataDir}/`)).toBe(false);
    expect(loadConfig({ STEWARD_KEY_DIR: '/etc/steward' }, '/srv/steward').audit.keyFile).toBe(
      '/etc/steward/audit-signing-key.pem',
    );
  });

  it('serves an app whose database files are 0600', async () => {
    const t = await createTestApp('sqlite');
    try {
      const file = (t.config.database as { file: string }).file;
      expect(mode(file)).toBe(0o600);
      if (existsSync(`${file}-wal`)) expect(mode(`${file}-wal`)).toBe(0o600);
    } finally {
      await t.close();
    }
  });
});
