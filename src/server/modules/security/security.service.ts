import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Authz } from '../../../authz/index.ts';
import { API_KEY_PREFIX, API_KEY_RANDOM_BYTES, keyablePermissions } from '../../../shared/api-keys.ts';
import type {
  ApiKey,
  CreateApiKeyBody,
  MasterCodeStatus,
  SecuritySettings,
} from '../../../shared/contracts/security.ts';
import { isPermission, type Permission, permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Actor } from '../../http/actor.ts';
import { ConflictError, ForbiddenError, NotFoundError, unlessDiskFull, ValidationError } from '../../http/errors.ts';
import { requireOwner, type Scope } from '../../http/scope.ts';
import { type AnyContext, type Context, inTransaction, type TxContext } from '../context.ts';
import type { Core } from '../module.ts';
import { holdingsOf, lockAccessChanges, requireReach, withinReachOf } from '../permissions/guard-rails.ts';
import { loadSecurity, putSetting, SETTING } from '../settings/settings.service.ts';
import {
  type ApiKeyRow,
  acceptMasterCode,
  clearFailures,
  currentMasterCode,
  disableMasterCodeIfFull,
  endElevations,
  findApiKey,
  findApiKeyForAuth,
  insertApiKey,
  insertMasterCode,
  listApiKeys,
  lockedFor,
  lockIfFull,
  masterCodeFailures,
  releaseAttempt,
  reserveAttempt,
  reserveMasterCodeAttempt,
  retireMasterCodes,
  revokeApiKey,
  revokeUserApiKeys,
  type ThrottleRule,
  touchApiKey,
} from './security.repository.ts';

export type { ThrottleRule };

type Deps = Pick<Core, 'database' | 'roles' | 'audit' | 'hasher' | 'now'>;

/** Digits of a new master code: 10^8 possibilities against at most N wrong entries before it is disabled. */
export const MASTER_CODE_DIGITS = 8;

/** API keys are looked up by the SHA-256 of the key; the key itself is never stored. */
function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const TOUCH_EVERY_MS = 60_000;

/** The key behind a bearer token that still works, with its holder (for authentication). */
export type ApiKeyHolder = NonNullable<Awaited<ReturnType<typeof findApiKeyForAuth>>>;

/**
 * The master code, API keys, the throttle counters and the security settings. Signing in and
 * elevation (the auth module) use this service; nothing here uses the auth module.
 */
export class SecurityService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(ms = this.deps.now()): string {
    return new Date(ms).toISOString();
  }

  settings(ctx: AnyContext): Promise<SecuritySettings> {
    return loadSecurity(ctx.db);
  }

  async saveSettings(ctx: Context, next: SecuritySettings): Promise<SecuritySettings> {
    await inTransaction(ctx, async (tx) => {
      const before = await loadSecurity(tx.db);
      await putSetting(tx.db, SETTING.security, next, this.iso());
      const changed = (Object.keys(next) as (keyof SecuritySettings)[]).filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(next[k]),
      );
      await this.deps.audit.record(tx, {
        action: 'settings.security',
        target: { type: 'settings', id: 'security' },
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, next[k]])),
      });
    });
    return next;
  }

  async masterCodeStatus(ctx: AnyContext): Promise<MasterCodeStatus> {
    const [current, security] = await Promise.all([currentMasterCode(ctx.db), loadSecurity(ctx.db)]);
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
  async rotateMasterCode(ctx: Context): Promise<{ code: string; status: MasterCodeStatus }> {
    const code = Array.from({ length: MASTER_CODE_DIGITS }, () => String(randomInt(10))).join('');
    const hash = await this.deps.hasher.hash(code);
    await inTransaction(ctx, async (tx) => {
      const now = this.iso();
      await retireMasterCodes(tx.db, now);
      const id = randomUUID();
      await insertMasterCode(tx.db, { id, codeHash: hash, createdBy: ctx.actor.user.id, now });
      // Elevations granted with the old code end with it.
      await endElevations(tx.db, now);
      await this.deps.audit.record(tx, { action: 'security.master_code.rotate', target: { type: 'master_code', id } });
    });
    return { code, status: await this.masterCodeStatus(ctx) };
  }

  // --- Master-code entries (elevation, in the auth module, is built on these) -----------------

  /** The live master code (neither retired nor, necessarily, enabled), or undefined when none was ever set. */
  currentMasterCode(tx: TxContext<Actor | null>) {
    return currentMasterCode(tx.db);
  }

  /** Reserves one entry against the code before it is checked; false when disabled, retired or at `max`. */
  reserveMasterCodeAttempt(tx: TxContext<Actor | null>, codeId: string, max: number): Promise<boolean> {
    return reserveMasterCodeAttempt(tx.db, codeId, max);
  }

  masterCodeFailures(tx: TxContext<Actor | null>, codeId: string): Promise<number> {
    return masterCodeFailures(tx.db, codeId);
  }

  /** Disables the code once it has reached `max` wrong entries; true when this call disabled it. */
  disableMasterCodeIfFull(tx: TxContext<Actor | null>, codeId: string, max: number, now: number): Promise<boolean> {
    return disableMasterCodeIfFull(tx.db, codeId, max, this.iso(now));
  }

  /** A right entry: resets the count while the code is still live; false when it was disabled or rotated meanwhile. */
  acceptMasterCode(tx: TxContext<Actor | null>, codeId: string): Promise<boolean> {
    return acceptMasterCode(tx.db, codeId);
  }

  // --- Throttles ------------------------------------------------------------------------------

  /** Reserves one attempt under `key` before an expensive check; false when locked or at the limit. */
  reserveAttempt(tx: TxContext<Actor | null>, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
    return reserveAttempt(tx.db, key, rule, now);
  }

  /** Gives a reservation back (the attempt succeeded, or another limit refused it). */
  releaseAttempt(tx: TxContext<Actor | null>, key: string): Promise<void> {
    return releaseAttempt(tx.db, key);
  }

  /** Locks `key` when its count has reached the limit; true when this call locked it. */
  lockIfFull(tx: TxContext<Actor | null>, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
    return lockIfFull(tx.db, key, rule, now);
  }

  clearFailures(tx: TxContext<Actor | null>, key: string): Promise<void> {
    return clearFailures(tx.db, key);
  }

  /** Seconds until `key` is unlocked, or 0. */
  lockedFor(ctx: AnyContext, key: string, now: number): Promise<number> {
    return lockedFor(ctx.db, key, now);
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
  async listApiKeys(ctx: Context, scope: Scope<'api_key'>): Promise<ApiKey[]> {
    const { actor, db } = ctx;
    const rows = await listApiKeys(db, scope);
    const holdings = await holdingsOf(db, this.deps.roles, actor);
    const reach = await withinReachOf(
      db,
      holdings,
      actor,
      rows.map((r) => r.user_id),
    );
    return rows.filter((r) => reach.has(r.user_id)).map((r) => this.toApiKey(r));
  }

  /** Which of the actor's permissions a key may carry: those they hold now without elevation. */
  static keyable(engine: Authz<Permission>, actor: Actor): string[] {
    const plain = { ...actor.subject, elevatedUntil: null, limitTo: null };
    return keyablePermissions(engine.effective(plain));
  }

  async createApiKey(ctx: Context, scope: Scope<'api_key'>, body: CreateApiKeyBody) {
    const { actor } = ctx;
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
    const key = `${API_KEY_PREFIX}${randomBytes(API_KEY_RANDOM_BYTES).toString('base64url')}`;
    const id = randomUUID();
    const row = await inTransaction(ctx, async (tx) => {
      // What the actor holds is judged in the transaction that makes the key.
      const engine = await this.deps.roles.engine(tx.db);
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
      await insertApiKey(tx.db, {
        id,
        userId: actor.user.id,
        name: body.name,
        prefix: key.slice(0, 10),
        tokenHash: keyHash(key),
        permissions: permissions.sort(),
        now: this.iso(),
        expiresAt,
      });
      await this.deps.audit.record(tx, {
        action: 'security.api_key.create',
        target: { type: 'api_key', id },
        after: { name: body.name, permissions, expiresAt },
      });
      return findApiKey(tx.db, scope, id);
    });
    return { key, apiKey: this.toApiKey(row as ApiKeyRow) };
  }

  async revokeApiKey(ctx: Context, scope: Scope<'api_key'>, id: string): Promise<ApiKey> {
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const row = await findApiKey(tx.db, scope, id);
      if (!row) throw new NotFoundError('There is no API key with that id.');
      if (row.revoked_at) throw new ConflictError('This key is already revoked.');
      await requireReach(tx.db, this.deps.roles, ctx.actor, row.user_id);
      if (!(await revokeApiKey(tx.db, id, ctx.actor.user.id, this.iso())))
        throw new ConflictError('This key is already revoked.');
      await this.deps.audit.record(tx, {
        action: 'security.api_key.revoke',
        target: { type: 'api_key', id },
        before: { name: row.name, user: row.user_email },
      });
      return this.toApiKey((await findApiKey(tx.db, scope, id)) as ApiKeyRow);
    });
  }

  /** Revokes every live API key of a user, inside the caller's transaction (password change, reset, deactivation); their ids. */
  revokeUserApiKeys(tx: TxContext<Actor | null>, userId: string, by: string): Promise<string[]> {
    return revokeUserApiKeys(tx.db, userId, by, this.iso());
  }

  /**
   * The key a bearer token names, with its holder, when it still works (not revoked, not
   * expired, its holder active); its last use is noted at most once a minute. Null otherwise.
   */
  async apiKeyHolder(ctx: AnyContext, key: string): Promise<ApiKeyHolder | null> {
    const row = await findApiKeyForAuth(ctx.db, keyHash(key));
    const now = this.deps.now();
    if (!row || row.revoked_at !== null || row.active !== 1) return null;
    if (row.expires_at !== null && Date.parse(row.expires_at) <= now) return null;
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
      await unlessDiskFull(touchApiKey(ctx.db, row.key_id, this.iso(now)));
    }
    return row;
  }
}
