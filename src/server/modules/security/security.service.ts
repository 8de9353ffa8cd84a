import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Authz } from '../../../authz/index.ts';
import { API_KEY_PREFIX, API_KEY_RANDOM_BYTES, keyablePermissions } from '../../../shared/api-keys.ts';
import type {
  ApiKey,
  CreateApiKeyBody,
  MasterCodeStatus,
  SecuritySettings,
} from '../../../shared/contracts/security.ts';
import { isPermission, permissionDef } from '../../../shared/permissions/catalog.ts';
import { type Database, transaction } from '../../db/database.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../http/errors.ts';
import { requireOwner, type Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { sha256 } from '../auth/auth.service.ts';
import type { PasswordHasher } from '../auth/password.ts';
import { holdingsOf, lockAccessChanges, requireReach, withinReach } from '../permissions/guard-rails.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { putSetting } from '../settings/settings.repository.ts';
import { loadSecurity, SETTING } from '../settings/settings.service.ts';
import {
  type ApiKeyRow,
  currentMasterCode,
  findApiKey,
  insertApiKey,
  insertMasterCode,
  listApiKeys,
  retireMasterCodes,
  revokeApiKey,
} from './security.repository.ts';

type Deps = {
  database: Database;
  roles: RolesService;
  audit: AuditService;
  hasher: PasswordHasher;
  now: () => number;
};

/** Digits of a new master code: 10^8 possibilities against at most N wrong entries before it is disabled. */
export const MASTER_CODE_DIGITS = 8;

/** The master code, API keys and the security settings. */
export class SecurityService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(ms = this.deps.now()): string {
    return new Date(ms).toISOString();
  }

  settings(): Promise<SecuritySettings> {
    return loadSecurity(this.deps.database.db);
  }

  async saveSettings(actor: Actor, next: SecuritySettings, ctx: RequestContext): Promise<SecuritySettings> {
    const { db } = this.deps.database;
    const before = await loadSecurity(db);
    await transaction(db, async (trx) => {
      await putSetting(trx, SETTING.security, next, this.iso());
      const changed = (Object.keys(next) as (keyof SecuritySettings)[]).filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(next[k]),
      );
      await this.deps.audit.record(trx, {
        action: 'settings.security',
        actor,
        target: { type: 'settings', id: 'security' },
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, next[k]])),
        context: ctx,
      });
    });
    return next;
  }

  async masterCodeStatus(): Promise<MasterCodeStatus> {
    const { db } = this.deps.database;
    const [current, security] = await Promise.all([currentMasterCode(db), loadSecurity(db)]);
    const problem = !current
      ? 'No master code has been set: assistants cannot unlock protected actions until an admin rotates one in.'
      : current.disabled_at
        ? `Disabled on ${current.disabled_at.slice(0, 16).replace('T', ' ')} UTC after ${current.failures} wrong entries in a row. Rotate to issue a new code.`
        : null;
    return {
      set: current !== undefined,
      rotatedAt: current?.created_at ?? null,
      rotatedBy: current?.created_by_name ?? null,
      failures: current?.failures ?? 0,
      maxFailures: security.masterCodeMaxFailures,
      disabledAt: current?.disabled_at ?? null,
      problem,
    };
  }

  /** A new random code: returned once, stored as a bcrypt hash; the old code stops working now. */
  async rotateMasterCode(actor: Actor, ctx: RequestContext): Promise<{ code: string; status: MasterCodeStatus }> {
    const code = Array.from({ length: MASTER_CODE_DIGITS }, () => String(randomInt(10))).join('');
    const hash = await this.deps.hasher.hash(code);
    await transaction(this.deps.database.db, async (trx) => {
      const now = this.iso();
      await retireMasterCodes(trx, now);
      const id = randomUUID();
      await insertMasterCode(trx, { id, codeHash: hash, createdBy: actor.user.id, now });
      // Elevations granted with the old code end with it.
      await trx.updateTable('sessions').set({ elevated_until: null }).where('elevated_until', '>', now).execute();
      await this.deps.audit.record(trx, {
        action: 'security.master_code.rotate',
        actor,
        target: { type: 'master_code', id },
        context: ctx,
      });
    });
    return { code, status: await this.masterCodeStatus() };
  }

  // --- API keys ------------------------------------------------------------------------------

  private toApiKey(r: ApiKeyRow): ApiKey {
    const now = this.deps.now();
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      user: { id: r.user_id, name: r.user_name, email: r.user_email },
      permissions: JSON.parse(r.permissions) as string[],
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      status: r.revoked_at ? 'revoked' : r.expires_at && Date.parse(r.expires_at) <= now ? 'expired' : 'active',
    };
  }

  /** Keys in the actor's scope, of the actor and of every user the actor covers (reach); others' keys are not theirs to see. */
  async listApiKeys(actor: Actor, scope: Scope<'api_key'>): Promise<ApiKey[]> {
    const { db } = this.deps.database;
    const rows = await listApiKeys(db, scope);
    const holdings = await holdingsOf(db, this.deps.roles, actor);
    const reach = new Map<string, boolean>([[actor.user.id, true]]);
    for (const userId of new Set(rows.map((r) => r.user_id))) {
      if (!reach.has(userId)) reach.set(userId, await withinReach(db, this.deps.roles, actor, userId, holdings));
    }
    return rows.filter((r) => reach.get(r.user_id)).map((r) => this.toApiKey(r));
  }

  /** Which of the actor's permissions a key may carry: those they hold now without elevation. */
  static keyable(engine: Authz, actor: Actor): string[] {
    const plain = { ...actor.subject, elevatedUntil: null, limitTo: null };
    return keyablePermissions(engine.effective(plain));
  }

  async createApiKey(actor: Actor, scope: Scope<'api_key'>, body: CreateApiKeyBody, ctx: RequestContext) {
    if (actor.apiKey) throw new ForbiddenError('API keys cannot create other API keys; sign in to make one.');
    requireOwner(scope, actor.user.id, 'a key is made for its maker');
    const permissions = [...new Set(body.permissions)];
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) {
      throw new ValidationError(`Not in the permission catalog: ${unknown.join(', ')}.`, [
        { path: 'permissions', message: `Unknown: ${unknown.join(', ')}` },
      ]);
    }
    const expiresAt = body.expiresAt ?? null;
    if (expiresAt !== null && Date.parse(expiresAt) <= this.deps.now()) {
      throw new ValidationError('The expiry is in the past.', [
        { path: 'expiresAt', message: 'Choose a future date.' },
      ]);
    }
    const engine = await this.deps.roles.engine(this.deps.database.db);
    const mine = new Set(SecurityService.keyable(engine, actor));
    const notHeld = permissions.filter((p) => !mine.has(p));
    if (notHeld.length > 0) {
      throw new ValidationError(
        `A key can carry only permissions you hold without the master code. Not yours: ${notHeld
          .map((p) => permissionDef(p).label)
          .join(', ')}.`,
        [{ path: 'permissions', message: `Not yours to give: ${notHeld.join(', ')}` }],
      );
    }
    const key = `${API_KEY_PREFIX}${randomBytes(API_KEY_RANDOM_BYTES).toString('base64url')}`;
    const id = randomUUID();
    await transaction(this.deps.database.db, async (trx) => {
      await insertApiKey(trx, {
        id,
        userId: actor.user.id,
        name: body.name,
        prefix: key.slice(0, 10),
        tokenHash: sha256(key),
        permissions: permissions.sort(),
        now: this.iso(),
        expiresAt,
      });
      await this.deps.audit.record(trx, {
        action: 'security.api_key.create',
        actor,
        target: { type: 'api_key', id },
        after: { name: body.name, permissions, expiresAt },
        context: ctx,
      });
    });
    const row = await findApiKey(this.deps.database.db, scope, id);
    return { key, apiKey: this.toApiKey(row as ApiKeyRow) };
  }

  async revokeApiKey(actor: Actor, scope: Scope<'api_key'>, id: string, ctx: RequestContext): Promise<ApiKey> {
    const { db, engine: kind } = this.deps.database;
    const row = await findApiKey(db, scope, id);
    if (!row) throw new NotFoundError('There is no API key with that id.');
    if (row.revoked_at) throw new ConflictError('This key is already revoked.');
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      await requireReach(trx, this.deps.roles, actor, row.user_id);
      if (!(await revokeApiKey(trx, id, actor.user.id, this.iso())))
        throw new ConflictError('This key is already revoked.');
      await this.deps.audit.record(trx, {
        action: 'security.api_key.revoke',
        actor,
        target: { type: 'api_key', id },
        before: { name: row.name, user: row.user_email },
        context: ctx,
      });
    });
    return this.toApiKey((await findApiKey(db, scope, id)) as ApiKeyRow);
  }
}
