/** The SQL of the role tables (`roles`, `role_parents`, `role_entries`); RolesService is their owner. */
import type { Kysely } from 'kysely';
import type { RoleDef } from '../../../authz/index.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
import type { DB } from '../../db/schema.ts';
import type { Trx } from '../context.ts';

/** Every role with its parents and entries, as the engine takes them. */
export async function loadRoleDefs(db: Kysely<DB>): Promise<RoleDef[]> {
  const [roles, parents, entries] = await Promise.all([
    db.selectFrom('roles').select(['key', 'name']).orderBy('key').execute(),
    db.selectFrom('role_parents').select(['role_key', 'parent_key']).execute(),
    db.selectFrom('role_entries').select(['role_key', 'permission', 'policy']).execute(),
  ]);
  return roles.map((r) => ({
    key: r.key,
    name: r.name,
    inherits: parents.filter((p) => p.role_key === r.key).map((p) => p.parent_key),
    entries: Object.fromEntries(entries.filter((e) => e.role_key === r.key).map((e) => [e.permission, e.policy])),
  }));
}

export type NewRole = RoleDef & { description: string; builtin: boolean };

/** Inserts roles, parents first (the caller orders them so parents precede children). */
export async function insertRoles(db: Kysely<DB>, roles: readonly NewRole[], now: string): Promise<void> {
  for (const role of roles) {
    await db
      .insertInto('roles')
      .values({
        key: role.key,
        name: role.name,
        description: role.description,
        builtin: role.builtin ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (const parent of role.inherits) {
      await db.insertInto('role_parents').values({ role_key: role.key, parent_key: parent }).execute();
    }
    const entries = Object.entries(role.entries).map(([permission, policy]) => ({
      role_key: role.key,
      permission,
      policy,
    }));
    if (entries.length > 0) await db.insertInto('role_entries').values(entries).execute();
  }
}

/** Each role's key, description and built-in flag. */
export function roleRows(db: Kysely<DB>) {
  return db.selectFrom('roles').select(['key', 'description', 'builtin']).execute();
}

/** How many active users hold each role (roles nobody holds are absent). */
export function activeUsersByRole(db: Kysely<DB>) {
  return db
    .selectFrom('users')
    .select(['role_key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('active', '=', 1)
    .groupBy('role_key')
    .execute();
}

/** Whether any user, active or not, holds the role. */
export async function anyUserWithRole(db: Kysely<DB>, key: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('role_key', '=', key).executeTakeFirst()) !== undefined;
}

/** A role that inherits `key`, if any. */
export async function firstChildOf(db: Kysely<DB>, key: string): Promise<string | null> {
  const row = await db.selectFrom('role_parents').select('role_key').where('parent_key', '=', key).executeTakeFirst();
  return row?.role_key ?? null;
}

/** Replaces one role's name, description, parents and entries. */
export async function replaceRole(
  trx: Trx,
  key: string,
  role: { name: string; description: string; inherits: readonly string[]; entries: Readonly<Record<string, Policy>> },
  now: string,
): Promise<void> {
  await trx
    .updateTable('roles')
    .set({ name: role.name, description: role.description, updated_at: now })
    .where('key', '=', key)
    .execute();
  await trx.deleteFrom('role_parents').where('role_key', '=', key).execute();
  for (const parent of role.inherits)
    await trx.insertInto('role_parents').values({ role_key: key, parent_key: parent }).execute();
  await trx.deleteFrom('role_entries').where('role_key', '=', key).execute();
  const rows = Object.entries(role.entries).map(([permission, policy]) => ({
    role_key: key,
    permission,
    policy,
  }));
  if (rows.length > 0) await trx.insertInto('role_entries').values(rows).execute();
}

/** Deletes one role (its parents and entries go with it). */
export async function deleteRole(trx: Trx, key: string): Promise<void> {
  await trx.deleteFrom('roles').where('key', '=', key).execute();
}
