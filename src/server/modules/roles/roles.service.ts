import { Authz, type RoleDef } from '../../../authz/index.ts';
import { PERMISSION_KEYS, type Permission, permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
import { REQUIRES } from '../../../shared/permissions/requires.ts';
import type { Db, Trx } from '../context.ts';
import { getSetting, putSetting, SETTING } from '../settings/settings.service.ts';
import {
  activeUsersByRole,
  anyUserWithRole,
  deleteRole,
  firstChildOf,
  insertRoles,
  loadRoleDefs,
  type NewRole,
  replaceRole,
  roleRows,
} from './roles.repository.ts';

/**
 * Keeps the permission engine in step with the roles in the database, and owns the role tables
 * (`roles`, `role_parents`, `role_entries`): the permissions module edits roles through this
 * service. Every role change bumps `roles_version` in its transaction; each request compares
 * versions (one indexed read), so a role edit made on any server instance applies to the next
 * request everywhere.
 */
export class RolesService {
  private current: { version: number; engine: Authz<Permission> } | null = null;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /**
   * The engine for the current roles, read through `db`. When `db` is a transaction that has just
   * changed them, its engine is built but not cached, since the transaction may still roll back.
   */
  async engine(db: Db): Promise<Authz<Permission>> {
    return this.engineAt((await getSetting<number>(db, SETTING.rolesVersion)) ?? 0, db);
  }

  /** The engine for a roles version the caller has just read through `db` (saves reading it twice per request). */
  async engineAt(version: number, db: Db): Promise<Authz<Permission>> {
    if (this.current?.version === version) return this.current.engine;
    const engine = this.engineFor(await loadRoleDefs(db));
    if (!db.isTransaction) this.current = { version, engine };
    return engine;
  }

  /**
   * An engine for the given role definitions (never cached): how roles would judge after a change
   * not yet written. Throws RoleGraphError for a cycle, an unknown parent or permission.
   */
  engineFor(roles: readonly RoleDef[]): Authz<Permission> {
    return new Authz({
      permissions: PERMISSION_KEYS,
      roles,
      now: this.now,
      requires: REQUIRES,
      labelOf: (p) => permissionDef(p).label,
    });
  }

  /** Marks the roles as changed; call inside the transaction that changed them. */
  static async bumpVersion(trx: Trx, now: string): Promise<void> {
    const version = (await getSetting<number>(trx, SETTING.rolesVersion)) ?? 0;
    await putSetting(trx, SETTING.rolesVersion, version + 1, now);
  }

  /** Each role's description and whether it is built in, and how many active users hold it. */
  async catalog(db: Db) {
    const [rows, counts] = await Promise.all([roleRows(db), activeUsersByRole(db)]);
    return { rows, users: new Map(counts.map((c) => [c.role_key, Number(c.n)])) };
  }

  /** The keys of every role. */
  async keys(db: Db): Promise<Set<string>> {
    return new Set((await roleRows(db)).map((r) => r.key));
  }

  /** Inserts roles (parents first) and bumps the roles version. */
  async insert(trx: Trx, roles: readonly NewRole[], now: string): Promise<void> {
    await insertRoles(trx, roles, now);
    await RolesService.bumpVersion(trx, now);
  }

  /** Replaces a role's name, description, parents and entries, and bumps the roles version. */
  async replace(
    trx: Trx,
    key: string,
    role: { name: string; description: string; inherits: readonly string[]; entries: Readonly<Record<string, Policy>> },
    now: string,
  ): Promise<void> {
    await replaceRole(trx, key, role, now);
    await RolesService.bumpVersion(trx, now);
  }

  /**
   * Removes a role nobody holds (active or not) and nothing inherits; a conflict message
   * otherwise, null when it is gone. Bumps the roles version.
   */
  async remove(trx: Trx, key: string, now: string): Promise<string | null> {
    if (await anyUserWithRole(trx, key)) {
      return 'Users (active or not) still have this role; give them another role first.';
    }
    const child = await firstChildOf(trx, key);
    if (child) return `The role "${child}" inherits this role; change it first.`;
    await deleteRole(trx, key);
    await RolesService.bumpVersion(trx, now);
    return null;
  }
}
