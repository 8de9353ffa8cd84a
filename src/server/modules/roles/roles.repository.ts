import type { Kysely } from 'kysely';
import type { RoleDef } from '../../../authz/index.ts';
import type { DB } from '../../db/schema.ts';

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
