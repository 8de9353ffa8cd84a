/**
 * The owner filter in SQL (`whereInScope`) and the allowed subset of a bulk request
 * (`requireAccess`), on a small in-memory SQLite database holding an owned resource owned by
 * another column than its id (API keys), one owned by its id (users) and an ownerless one
 * (items). Run by `npm run test:mutation` (scoped.ts must stay ≥ 90 % killed).
 */
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scope, selfScope, systemScope } from '../http/scope.ts';
import type { DB } from './schema.ts';
import { requireAccess, whereInScope } from './scoped.ts';
import { openSqlite } from './sqlite.ts';

let db: Kysely<DB>;

/** An `own` scope of an ownerless resource: the guard never makes one; made here to prove the refusal. */
const ownOfOwnerless = (ownerIds: string[]) =>
  ({ kind: 'own', ownerIds, resource: 'item' }) as unknown as Scope<'item'>;

beforeAll(async () => {
  db = new Kysely<DB>({ dialect: new SqliteDialect({ database: openSqlite(':memory:') }) });
  await sql`create table users (id text primary key, name text not null)`.execute(db);
  await sql`create table api_keys (id text primary key, user_id text, name text not null)`.execute(db);
  await sql`create table items (id text primary key, name text not null)`.execute(db);
  await sql`insert into users (id, name) values ('u1', 'Una'), ('u2', 'Udo'), ('u3', 'Ute')`.execute(db);
  // k-u1 and u2 are ids that collide with owner ids: the filter must read the owner column, not the id.
  await sql`insert into api_keys (id, user_id, name) values
    ('k1', 'u1', 'one'), ('k2', 'u2', 'two'), ('k3', 'u1', 'three'), ('u2', 'u3', 'id like a user'), ('k5', null, 'orphan')`.execute(
    db,
  );
  await sql`insert into items (id, name) values ('i1', 'Gloves'), ('i2', 'Boots')`.execute(db);
});
afterAll(async () => db.destroy());

const keyIds = async (scope: Scope) =>
  (await whereInScope(db.selectFrom('api_keys').select('api_keys.id'), scope).orderBy('api_keys.id').execute()).map(
    (r) => r.id,
  );

describe('whereInScope', () => {
  it('leaves an `all` scope unfiltered: the same query builder, every row', async () => {
    const qb = db.selectFrom('api_keys').select('id');
    expect(whereInScope(qb, systemScope('api_key'))).toBe(qb);
    expect(await keyIds(systemScope('api_key'))).toEqual(['k1', 'k2', 'k3', 'k5', 'u2']);
  });

  it('keeps the rows whose owner column holds one of the scope’s ids', async () => {
    expect(await keyIds(selfScope('api_key', ['u1']))).toEqual(['k1', 'k3']);
    expect(await keyIds(selfScope('api_key', ['u2']))).toEqual(['k2']);
    expect(await keyIds(selfScope('api_key', ['u1', 'u3']))).toEqual(['k1', 'k3', 'u2']);
    expect(await keyIds(selfScope('api_key', ['nobody']))).toEqual([]);
  });

  it('reaches nothing for an `own` scope without ids (not every row, not the ownerless ones)', async () => {
    expect(await keyIds(selfScope('api_key', []))).toEqual([]);
    // Without an empty `in ()`, which SQLite takes but PostgreSQL refuses as a syntax error.
    const compiled = whereInScope(db.selectFrom('api_keys').select('id'), selfScope('api_key', [])).compile().sql;
    expect(compiled).toContain('1 = 0');
    expect(compiled).not.toMatch(/ in \(/);
  });

  it('reaches nothing for an `own` scope of a resource without an owner, rather than widening it', async () => {
    const rows = await whereInScope(db.selectFrom('items').select('id'), ownOfOwnerless(['u1', 'i1'])).execute();
    expect(rows).toEqual([]);
  });

  it('filters a resource owned by its own id', async () => {
    const rows = await whereInScope(db.selectFrom('users').select('id'), selfScope('user', ['u2', 'k1'])).execute();
    expect(rows).toEqual([{ id: 'u2' }]);
  });

  it('names the table’s alias when the query gives it one', async () => {
    const aliased = whereInScope(
      db.selectFrom('api_keys as k').innerJoin('users', 'users.id', 'k.user_id').select(['k.id', 'users.name']),
      selfScope('api_key', ['u1']),
      'k',
    ).orderBy('k.id');
    expect(aliased.compile().sql).toContain('"k"."user_id" in (?)');
    expect(await aliased.execute()).toEqual([
      { id: 'k1', name: 'Una' },
      { id: 'k3', name: 'Una' },
    ]);
    expect(
      whereInScope(db.selectFrom('api_keys').selectAll(), selfScope('api_key', ['u1', 'u2'])).compile().sql,
    ).toContain('"api_keys"."user_id" in (?, ?)');
  });
});

describe('requireAccess', () => {
  it('asks the database nothing for no ids', async () => {
    // A database handle that fails when used: an empty request is answered without a query.
    expect(await requireAccess(null as unknown as Kysely<DB>, systemScope('api_key'), [])).toEqual(new Set());
  });

  it('gives the ids asked for that exist, for an `all` scope', async () => {
    expect(await requireAccess(db, systemScope('api_key'), ['k1', 'k2', 'missing', 'u1'])).toEqual(
      new Set(['k1', 'k2']),
    );
    expect(await requireAccess(db, systemScope('item'), ['i2', 'k1'])).toEqual(new Set(['i2']));
  });

  it('gives only the ids within an `own` scope', async () => {
    expect(await requireAccess(db, selfScope('api_key', ['u1']), ['k1', 'k2', 'k3', 'u2', 'k5'])).toEqual(
      new Set(['k1', 'k3']),
    );
    expect(await requireAccess(db, selfScope('api_key', ['u3']), ['k1', 'u2'])).toEqual(new Set(['u2']));
    expect(await requireAccess(db, selfScope('api_key', []), ['k1', 'k2'])).toEqual(new Set());
    expect(await requireAccess(db, selfScope('user', ['u1']), ['u1', 'u2'])).toEqual(new Set(['u1']));
  });

  it('gives nothing of an ownerless resource to an `own` scope', async () => {
    expect(await requireAccess(db, ownOfOwnerless(['u1']), ['i1', 'i2'])).toEqual(new Set());
  });
});
