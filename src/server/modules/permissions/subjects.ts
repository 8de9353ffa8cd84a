import type { Kysely } from 'kysely';
import type { Override, Subject } from '../../../authz/index.ts';
import type { DB, UsersTable } from '../../db/schema.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';

type UserFacts = Pick<UsersTable, 'id' | 'role_key' | 'artist_id'> & { active: number };

type OverrideRow = {
  user_id: string;
  permission: string;
  effect: 'grant' | 'deny';
  scope: 'any' | 'own';
  expires_at: string | null;
  reason: string | null;
  created_at: string;
  by_name: string | null;
};

function overridesQuery(db: Kysely<DB>) {
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

function toOverride(o: OverrideRow): Override {
  return {
    permission: o.permission,
    effect: o.effect,
    scope: o.scope,
    expiresAt: o.expires_at ? Date.parse(o.expires_at) : null,
    reason: o.reason,
    byName: o.by_name,
    at: Date.parse(o.created_at),
  };
}

function subjectOf(
  user: UserFacts,
  overrides: Override[],
  elevatedUntil: number | null,
  limitTo: ReadonlySet<string> | null,
) {
  const subject: Subject = {
    id: user.id,
    active: user.active === 1,
    roles: [user.role_key],
    overrides,
    elevatedUntil,
    ownerIds: user.artist_id ? [user.id, user.artist_id] : [user.id],
    limitTo,
  };
  return subject;
}

/**
 * What the permission engine sees for one user, read fresh from the database (so a change
 * applies on the very next request). `elevatedUntil` comes from the session; API keys pass
 * their permissions as `limitTo`.
 */
export async function loadSubject(
  db: Kysely<DB>,
  user: UserFacts,
  elevatedUntil: number | null = null,
  limitTo: ReadonlySet<string> | null = null,
): Promise<Subject> {
  const rows = await overridesQuery(db).where('user_overrides.user_id', '=', user.id).execute();
  return subjectOf(user, rows.map(toOverride), elevatedUntil, limitTo);
}

/** Every active user's subject (never elevated): for the "someone can still manage permissions" rule. */
export async function loadActiveSubjects(db: Kysely<DB>): Promise<Subject[]> {
  const users = await db
    .selectFrom('users')
    .select(['id', 'role_key', 'artist_id', 'active'])
    .where('active', '=', 1)
    .execute();
  const rows = await overridesQuery(db)
    .innerJoin('users as u', 'u.id', 'user_overrides.user_id')
    .where('u.active', '=', 1)
    .execute();
  const byUser = new Map<string, Override[]>();
  for (const r of rows) {
    const list = byUser.get(r.user_id) ?? [];
    list.push(toOverride(r));
    byUser.set(r.user_id, list);
  }
  return users.map((u) => subjectOf(u, byUser.get(u.id) ?? [], null, null));
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
