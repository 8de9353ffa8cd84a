/**
 * Issue 20, part 4: on SQLite the reads every request makes before its own work (its session or
 * API key, the settings, the overrides) are kept while nothing is committed to the database
 * (SQLite's data version, `prepared(…, { untilChanged: true })`). Never a stale permission: a
 * change committed by this server, or by another process on the same file (the `steward admin`
 * commands, a second connection here), applies to the very next request, under parallel load.
 */
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataVersionOf, newMoment } from '../src/server/db/change-version.ts';
import { createApiKey, createItem } from './factories.ts';
import { createBusinessApp, createStaff, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

describe('reads kept while nothing changed (SQLite)', () => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  let file: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp('sqlite', 'stores'));
    base = await listenLocal(t.app);
    if (t.config.database.kind !== 'sqlite') throw new Error('SQLite only');
    file = t.config.database.file;
  });
  afterAll(async () => t.close());

  /** Another process's write, as `steward admin recover` makes it: its own connection to the file. */
  function writeElsewhere(statement: string, ...params: (string | number)[]): void {
    const other = new DatabaseSync(file, { timeout: 5000 });
    try {
      other.prepare(statement).run(...params);
    } finally {
      other.close();
    }
  }

  it('has a data version that moves with every commit, from this server or another connection', async () => {
    const db = t.app.services.database.db;
    const v0 = dataVersionOf(db);
    expect(v0).not.toBeNull();
    expect(dataVersionOf(db)).toBe(v0);
    await createItem(admin);
    const v1 = dataVersionOf(db);
    expect(v1).not.toBe(v0);
    writeElsewhere("update settings set updated_at = ? where key = 'business'", new Date().toISOString());
    // Within one moment the version read is reused; a request's start ends the moment, and so
    // does the end of the event-loop turn.
    expect(dataVersionOf(db)).toBe(v1);
    newMoment();
    const v2 = dataVersionOf(db);
    expect(v2).not.toBe(v1);
    writeElsewhere("update settings set updated_at = ? where key = 'business'", new Date().toISOString());
    await new Promise((resolve) => setImmediate(resolve));
    expect(dataVersionOf(db)).not.toBe(v2);
  });

  it('a user deactivated by another process is refused at the very next request, under parallel reads', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const headers = sessionHeaders(staff.session);
    // Warm: the same reads answered many times over while nothing changes.
    const warm = await Promise.all(
      Array.from({ length: 40 }, () => send(base, 'GET', '/api/v1/me', undefined, headers)),
    );
    expect(warm.map((r) => r.status)).toEqual(Array(40).fill(200));
    const load = Promise.all(Array.from({ length: 40 }, () => send(base, 'GET', '/api/v1/me', undefined, headers)));
    writeElsewhere('update users set active = 0 where id = ?', staff.id);
    await load;
    const after = await Promise.all(
      Array.from({ length: 20 }, () => send(base, 'GET', '/api/v1/me', undefined, headers)),
    );
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(401));
  });

  it('an API key revoked through the API, and a deny added by another process, apply at the very next request', async () => {
    const item = await createItem(admin);
    const { key, apiKey } = await createApiKey(admin, ['inventory.view']);
    const bearer = { authorization: `Bearer ${key}` };
    const read = () => send(base, 'GET', `/api/v1/items/${item.id}`, undefined, bearer);
    expect((await Promise.all(Array.from({ length: 30 }, read))).map((r) => r.status)).toEqual(Array(30).fill(200));

    // A deny on the key's holder, written by another connection: refused from the next request on.
    const me = await send<{ user: { id: string } }>(base, 'GET', '/api/v1/me', undefined, sessionHeaders(admin));
    const load = Promise.all(Array.from({ length: 30 }, read));
    writeElsewhere(
      `insert into user_overrides (user_id, permission, effect, scope, expires_at, reason, granted_by, created_at)
       values (?, 'inventory.view', 'deny', 'any', null, 'test', null, ?)`,
      me.body.user.id,
      new Date().toISOString(),
    );
    await load;
    expect((await Promise.all(Array.from({ length: 10 }, read))).map((r) => r.status)).toEqual(Array(10).fill(403));
    writeElsewhere("delete from user_overrides where user_id = ? and permission = 'inventory.view'", me.body.user.id);
    expect((await read()).status).toBe(200);

    // Revoked through this server while reads run: every request after the revoke's answer is a 401.
    const during = Promise.all(Array.from({ length: 30 }, read));
    const revoked = await send(base, 'DELETE', `/api/v1/api-keys/${apiKey.id}`, undefined, sessionHeaders(admin));
    expect(revoked.status).toBe(200);
    await during;
    expect((await Promise.all(Array.from({ length: 10 }, read))).map((r) => r.status)).toEqual(Array(10).fill(401));
  });

  it('keeps nothing inside a transaction, and nothing on an engine that cannot tell (a transaction has no version)', async () => {
    const db = t.app.services.database.db;
    await db.transaction().execute(async (trx) => {
      expect(dataVersionOf(trx)).toBeNull();
    });
  });
});
