/**
 * The SQL of the permissions module: per-user overrides (`user_overrides`), requests for critical
 * grants (`permission_requests`) and role changes (`role_requests`), and the account facts the
 * permission engine judges a user by (`users.role_key`, `artist_id`, `active`: read here; the users
 * module writes accounts — with one exception, `assignApprovedRole`, which applies a role change a
 * second admin approved). Functions take the database or an open transaction; writes take a
 * transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import { prepared } from '../../db/prepared.ts';
import type { DB, PermissionRequestsTable, RoleRequestsTable, UserOverridesTable } from '../../db/schema.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';

type Trx = Transaction<DB>;

type Db = Kysely<DB>;

/** What the engine needs to know about an account (plus its name, for messages). */
export type AccountFacts = { id: string; name: string; role_key: string; artist_id: string | null; active: number };

export type OverrideRow = {
  user_id: string;
  permission: string;
  effect: 'grant' | 'deny';
  scope: 'any' | 'own';
  expires_at: string | null;
  reason: string | null;
  created_at: string;
  by_name: string | null;
};

function overridesQuery(db: Db) {
  return db
    .selectFrom('user_overrides')
    .leftJoin('users as by', 'by.id', 'user_overrides.granted_by')
    .select([
      'user_overrides.user_id',
      'user_overrides.permission',
      'user_overrides.effect',
      'user_overrides.scope',
      'user_overrides.expires_at',
      'user_overrides.reason',
      'user_overrides.created_at',
      'by.name as by_name',
    ]);
}

/** One account's engine facts, or undefined when there is none. */
export function accountFacts(db: Db, userId: string): Promise<AccountFacts | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'name', 'role_key', 'artist_id', 'active'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** Several accounts' engine facts, in one query (unknown ids are left out). */
export function accountFactsOf(db: Db, userIds: readonly string[]): Promise<AccountFacts[]> {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(['id', 'name', 'role_key', 'artist_id', 'active'])
    .where('id', 'in', [...userIds])
    .execute();
}

const overridesOfUsers = prepared(
  (db, userIds: readonly string[]) => overridesQuery(db).where('user_overrides.user_id', 'in', userIds),
  { untilChanged: true },
);

/** The overrides of the given users, in one query (built once: every request reads its user's). */
export function overridesOf(db: Db, userIds: readonly string[]): Promise<OverrideRow[]> {
  if (userIds.length === 0) return Promise.resolve([]);
  return overridesOfUsers(db, userIds);
}

/** Every active account's facts and overrides, in two queries. */
export async function activeAccounts(db: Db): Promise<{ users: AccountFacts[]; overrides: OverrideRow[] }> {
  const users = await db
    .selectFrom('users')
    .select(['id', 'name', 'role_key', 'artist_id', 'active'])
    .where('active', '=', 1)
    .execute();
  const overrides = await overridesQuery(db)
    .innerJoin('users as u', 'u.id', 'user_overrides.user_id')
    .where('u.active', '=', 1)
    .execute();
  return { users, overrides };
}

/** The override of one permission for one user, if any. */
export function getOverride(db: Db, userId: string, permission: string) {
  return db
    .selectFrom('user_overrides')
    .selectAll()
    .where('user_id', '=', userId)
    .where('permission', '=', permission)
    .executeTakeFirst();
}

/** Removes the override of one permission for one user (none is fine). */
export async function deleteOverride(trx: Trx, userId: string, permission: string): Promise<void> {
  await trx.deleteFrom('user_overrides').where('user_id', '=', userId).where('permission', '=', permission).execute();
}

export async function insertOverride(trx: Trx, row: UserOverridesTable): Promise<void> {
  await trx.insertInto('user_overrides').values(row).execute();
}

/** Removes every deny of one user; returns the permissions they were on. */
export async function deleteDenies(trx: Trx, userId: string): Promise<string[]> {
  const denies = await trx
    .selectFrom('user_overrides')
    .select('permission')
    .where('user_id', '=', userId)
    .where('effect', '=', 'deny')
    .execute();
  if (denies.length > 0) {
    await trx.deleteFrom('user_overrides').where('user_id', '=', userId).where('effect', '=', 'deny').execute();
  }
  return denies.map((d) => d.permission);
}

/** The pending requests for one user, by permission. */
export function pendingRequestsOf(db: Db, userId: string) {
  return db
    .selectFrom('permission_requests')
    .select(['id', 'permission'])
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .execute();
}

export async function insertRequest(trx: Trx, row: PermissionRequestsTable): Promise<void> {
  await trx.insertInto('permission_requests').values(row).execute();
}

export function getRequest(db: Db, id: string) {
  return db.selectFrom('permission_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

type Decision = { status: 'approved' | 'rejected'; by: string; at: string };

/**
 * Decides a request that is still pending, in either table of requests (critical grants, role
 * changes: the same status columns); false when it was decided already (a guarded update).
 */
async function decidePending(
  trx: Trx,
  table: 'permission_requests' | 'role_requests',
  id: string,
  decision: Decision,
): Promise<boolean> {
  const r = await trx
    .updateTable(table as 'permission_requests')
    .set({ status: decision.status, decided_by: decision.by, decided_at: decision.at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Decides a critical-grant request that is still pending; false when it was decided already. */
export function decideRequest(trx: Trx, id: string, decision: Decision): Promise<boolean> {
  return decidePending(trx, 'permission_requests', id, decision);
}

/** The newest 200 requests with the names of who they are for, who asked and who decided. */
export function listRequests(db: Db, status: 'pending' | 'approved' | 'rejected' | 'all') {
  let q = db
    .selectFrom('permission_requests as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .innerJoin('users as by', 'by.id', 'r.requested_by')
    .leftJoin('users as dec', 'dec.id', 'r.decided_by')
    .select([
      'r.id',
      'r.permission',
      'r.scope',
      'r.expires_at',
      'r.reason',
      'r.requested_at',
      'r.status',
      'r.decided_at',
      'u.id as user_id',
      'u.name as user_name',
      'by.id as by_id',
      'by.name as by_name',
      'dec.name as decided_by_name',
    ]);
  if (status !== 'all') q = q.where('r.status', '=', status);
  return q.orderBy('r.requested_at', 'desc').limit(200).execute();
}

/**
 * One user within the scope, with what the permissions page shows of them, or undefined (a 404).
 * Read here rather than through the users module, which uses this one (guard rails, subjects).
 */
export async function subjectUser(db: Kysely<DB>, scope: Scope<'user'>, id: string) {
  return whereInScope(
    db
      .selectFrom('users')
      .innerJoin('roles', 'roles.key', 'users.role_key')
      .select([
        'users.id',
        'users.name',
        'users.email',
        'users.role_key',
        'roles.name as role_name',
        'users.artist_id',
        'users.active',
      ]),
    scope,
  )
    .where('users.id', '=', id)
    .executeTakeFirst();
}

export async function insertRoleRequest(trx: Trx, row: RoleRequestsTable): Promise<void> {
  await trx.insertInto('role_requests').values(row).execute();
}

export function getRoleRequest(db: Db, id: string) {
  return db.selectFrom('role_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Decides a role request that is still pending; false when it was decided already. */
export function decideRoleRequest(trx: Trx, id: string, decision: Decision): Promise<boolean> {
  return decidePending(trx, 'role_requests', id, decision);
}

/** The newest 200 role requests with the names of whom they are for, who asked and who decided. */
export function listRoleRequests(db: Db, status: 'pending' | 'approved' | 'rejected' | 'all') {
  let q = db
    .selectFrom('role_requests as r')
    .leftJoin('users as u', 'u.id', 'r.user_id')
    .innerJoin('users as by', 'by.id', 'r.requested_by')
    .leftJoin('users as dec', 'dec.id', 'r.decided_by')
    .select([
      'r.id',
      'r.kind',
      'r.role_key',
      'r.payload',
      'r.critical',
      'r.reason',
      'r.requested_at',
      'r.status',
      'r.decided_at',
      'u.id as user_id',
      'u.name as user_name',
      'by.id as by_id',
      'by.name as by_name',
      'dec.name as decided_by_name',
    ]);
  if (status !== 'all') q = q.where('r.status', '=', status);
  return q.orderBy('r.requested_at', 'desc').limit(200).execute();
}

/**
 * Applies a role assignment a second admin approved: the one account write of this module (the
 * users module requested it and writes every other account change).
 */
export async function assignApprovedRole(trx: Trx, userId: string, roleKey: string, now: string): Promise<void> {
  await trx.updateTable('users').set({ role_key: roleKey, updated_at: now }).where('id', '=', userId).execute();
}
