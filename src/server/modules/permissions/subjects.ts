/**
 * What the permission engine sees for a user: their role, ownership and overrides, read fresh
 * from the database (so a change applies on the very next request). The SQL is in
 * permissions.repository.ts.
 */
import type { Override, Subject } from '../../../authz/index.ts';
import type { UsersTable } from '../../db/schema.ts';
import type { Db } from '../context.ts';
import { activeAccounts, type OverrideRow, overridesOf } from './permissions.repository.ts';

type UserFacts = Pick<UsersTable, 'id' | 'role_key' | 'artist_id'> & { active: number };

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

function byUser(rows: readonly OverrideRow[]): Map<string, Override[]> {
  const out = new Map<string, Override[]>();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push(toOverride(r));
    out.set(r.user_id, list);
  }
  return out;
}

/**
 * What the permission engine sees for one user. `elevatedUntil` comes from the session; API keys
 * pass their permissions as `limitTo`.
 */
export async function loadSubject(
  db: Db,
  user: UserFacts,
  elevatedUntil: number | null = null,
  limitTo: ReadonlySet<string> | null = null,
): Promise<Subject> {
  const rows = await overridesOf(db, [user.id]);
  return subjectOf(user, rows.map(toOverride), elevatedUntil, limitTo);
}

/** Several users' subjects (never elevated) with one read of their overrides, in the order given. */
export async function loadSubjects(db: Db, users: readonly UserFacts[]): Promise<Subject[]> {
  const overrides = byUser(await overridesOf(db, [...new Set(users.map((u) => u.id))]));
  return users.map((u) => subjectOf(u, overrides.get(u.id) ?? [], null, null));
}

/** Every active user's subject (never elevated): for the "someone can still manage permissions" rule. */
export async function loadActiveSubjects(db: Db): Promise<Subject[]> {
  const { users, overrides } = await activeAccounts(db);
  const by = byUser(overrides);
  return users.map((u) => subjectOf(u, by.get(u.id) ?? [], null, null));
}
