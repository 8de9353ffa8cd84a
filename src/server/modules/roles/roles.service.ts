import { Authz } from '../../../authz/index.ts';
import { PERMISSION_KEYS, type Permission } from '../../../shared/permissions/catalog.ts';
import type { Database, Tx } from '../../db/database.ts';
import { getSetting, putSetting } from '../settings/settings.repository.ts';
import { SETTING } from '../settings/settings.service.ts';
import { loadRoleDefs } from './roles.repository.ts';

/**
 * Keeps the permission engine in step with the roles in the database. Every role change bumps
 * `roles_version` in its transaction; each request compares versions (one indexed read), so a
 * role edit made on any server instance applies to the next request everywhere.
 */
export class RolesService {
  private current: { version: number; engine: Authz<Permission> } | null = null;
  private readonly database: Database;
  private readonly now: () => number;

  constructor(database: Database, now: () => number) {
    this.database = database;
    this.now = now;
  }

  /**
   * The engine for the current roles. `db` may be a transaction that has just changed them: its
   * engine is built but not cached, since the transaction may still roll back.
   */
  async engine(db: Tx = this.database.db): Promise<Authz<Permission>> {
    return this.engineAt((await getSetting<number>(db, SETTING.rolesVersion)) ?? 0, db);
  }

  /** The engine for a roles version the caller has just read (saves reading it twice per request). */
  async engineAt(version: number, db: Tx = this.database.db): Promise<Authz<Permission>> {
    if (this.current?.version === version) return this.current.engine;
    const engine = new Authz({ permissions: PERMISSION_KEYS, roles: await loadRoleDefs(db), now: this.now });
    if (db === this.database.db) this.current = { version, engine };
    return engine;
  }

  /** Marks the roles as changed; call inside the transaction that changed them. */
  static async bumpVersion(trx: Tx, now: string): Promise<void> {
    const version = (await getSetting<number>(trx, SETTING.rolesVersion)) ?? 0;
    await putSetting(trx, SETTING.rolesVersion, version + 1, now);
  }
}
