/**
 * The security module's tables: master codes, API keys and the throttle counters (and the
 * elevation a master code grants, which ends when the code is rotated).
 */
import { prepared } from '../../db/prepared.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';
import type { Db, Trx } from '../context.ts';

export async function currentMasterCode(db: Db) {
  return db
    .selectFrom('master_codes')
    .leftJoin('users', 'users.id', 'master_codes.created_by')
    .select([
      'master_codes.id',
      'master_codes.code_hash',
      'master_codes.created_at',
      'master_codes.failures',
      'master_codes.disabled_at',
      'users.name as created_by_name',
    ])
    .where('master_codes.retired_at', 'is', null)
    .executeTakeFirst();
}

export async function retireMasterCodes(trx: Trx, now: string): Promise<void> {
  await trx.updateTable('master_codes').set({ retired_at: now }).where('retired_at', 'is', null).execute();
}

/** Ends every elevation still running: elevations granted with a rotated code end with it. */
export async function endElevations(trx: Trx, now: string): Promise<void> {
  await trx.updateTable('sessions').set({ elevated_until: null }).where('elevated_until', '>', now).execute();
}

export async function insertMasterCode(
  trx: Trx,
  row: { id: string; codeHash: string; createdBy: string; now: string },
): Promise<void> {
  await trx
    .insertInto('master_codes')
    .values({
      id: row.id,
      code_hash: row.codeHash,
      created_at: row.now,
      created_by: row.createdBy,
      failures: 0,
      disabled_at: null,
      retired_at: null,
    })
    .execute();
}

/**
 * Reserves one entry against the code before it is checked (atomic conditional UPDATE): the
 * reservation counts as a wrong entry until a right one resets the count. False when the code
 * is disabled, retired, or already at `max` entries in a row.
 */
export async function reserveMasterCodeAttempt(trx: Trx, id: string, max: number): Promise<boolean> {
  const r = await trx
    .updateTable('master_codes')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .where('retired_at', 'is', null)
    .where('failures', '<', max)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function masterCodeFailures(trx: Trx, id: string): Promise<number> {
  const row = await trx.selectFrom('master_codes').select('failures').where('id', '=', id).executeTakeFirstOrThrow();
  return row.failures;
}

/** Disables the code when it has reached `max` wrong entries; true when this call disabled it. */
export async function disableMasterCodeIfFull(trx: Trx, id: string, max: number, now: string): Promise<boolean> {
  const r = await trx
    .updateTable('master_codes')
    .set({ disabled_at: now })
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .where('failures', '>=', max)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A right entry: resets the count, only while the code is still live. False when it was disabled or rotated meanwhile. */
export async function acceptMasterCode(trx: Trx, id: string): Promise<boolean> {
  const r = await trx
    .updateTable('master_codes')
    .set({ failures: 0 })
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Revokes every live API key of a user (password change, reset, deactivation); returns their ids. */
export async function revokeUserApiKeys(trx: Trx, userId: string, by: string, now: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_keys')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  if (rows.length === 0) return [];
  await trx
    .updateTable('api_keys')
    .set({ revoked_at: now, revoked_by: by })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

const apiKeyColumns = [
  'api_keys.id',
  'api_keys.name',
  'api_keys.prefix',
  'api_keys.permissions',
  'api_keys.created_at',
  'api_keys.expires_at',
  'api_keys.last_used_at',
  'api_keys.revoked_at',
  'users.id as user_id',
  'users.name as user_name',
  'users.email as user_email',
] as const;

/** The API keys the scope reaches (an `own` scope: only the holder's own keys). */
export async function listApiKeys(db: Db, scope: Scope<'api_key'>) {
  const q = db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id').select(apiKeyColumns);
  return whereInScope(q, scope).orderBy('api_keys.created_at', 'desc').execute();
}

/** One key, or undefined when there is none or it is outside the scope (a 404 either way). */
export async function findApiKey(db: Db, scope: Scope<'api_key'>, id: string) {
  return whereInScope(
    db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id').select(apiKeyColumns),
    scope,
  )
    .where('api_keys.id', '=', id)
    .executeTakeFirst();
}
export type ApiKeyRow = NonNullable<Awaited<ReturnType<typeof findApiKey>>>;

export async function insertApiKey(
  trx: Trx,
  k: {
    id: string;
    userId: string;
    name: string;
    prefix: string;
    tokenHash: string;
    permissions: string[];
    now: string;
    expiresAt: string | null;
  },
): Promise<void> {
  await trx
    .insertInto('api_keys')
    .values({
      id: k.id,
      user_id: k.userId,
      name: k.name,
      prefix: k.prefix,
      token_hash: k.tokenHash,
      permissions: JSON.stringify(k.permissions),
      created_at: k.now,
      expires_at: k.expiresAt,
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    })
    .execute();
}

/** Revokes a key that is still active; false when another request revoked it first. */
export async function revokeApiKey(trx: Trx, id: string, by: string, now: string): Promise<boolean> {
  const r = await trx
    .updateTable('api_keys')
    .set({ revoked_at: now, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

const apiKeyByHash = prepared(
  (db, tokenHash: string) =>
    db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select([
        'api_keys.id as key_id',
        'api_keys.name as key_name',
        'api_keys.permissions as key_permissions',
        'api_keys.expires_at',
        'api_keys.revoked_at',
        'api_keys.last_used_at',
        'users.id',
        'users.email',
        'users.name',
        'users.role_key',
        'users.artist_id',
        'users.active',
        'users.must_change_password',
      ])
      .where('api_keys.token_hash', '=', tokenHash),
  { untilChanged: true },
);

/** The key with this token hash, joined with its user, for authentication (built once: it runs on every request). */
export async function findApiKeyForAuth(db: Db, tokenHash: string) {
  return (await apiKeyByHash(db, tokenHash))[0];
}

export async function touchApiKey(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}

// --- Throttles -------------------------------------------------------------------------------

/**
 * Failure counters with a window and a lock, keyed by what is being throttled
 * (`login-ip:…`, `elevate-user:…`, `elevate-ip:…`).
 *
 * Limits hold under bursts: an attempt first *reserves* a place under the limit with one
 * atomic conditional UPDATE (`failures < max`), before any expensive check. The reservation
 * counts as a failure unless the attempt succeeds and releases it. So N parallel attempts
 * check at most `max`, on SQLite (one writer) and PostgreSQL (the row lock re-evaluates the
 * condition), across server instances.
 */
export type ThrottleRule = { max: number; windowMs: number; lockMs: number };

/** Seconds until `key` is unlocked, or 0 when it is not locked. */
export async function lockedFor(db: Db, key: string, now: number): Promise<number> {
  const row = await db.selectFrom('throttles').select('locked_until').where('key', '=', key).executeTakeFirst();
  const until = row?.locked_until ? Date.parse(row.locked_until) : 0;
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/**
 * Reserves one attempt under `key`: true when it is within the limit (and now counted), false
 * when the key is locked or already at its limit (nothing counted).
 */
export async function reserveAttempt(trx: Trx, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
  const iso = new Date(now).toISOString();
  await trx
    .insertInto('throttles')
    .values({ key, failures: 0, window_started_at: iso, locked_until: null })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  // A window that has run out (and is not locked) starts again.
  await trx
    .updateTable('throttles')
    .set({ failures: 0, window_started_at: iso, locked_until: null })
    .where('key', '=', key)
    .where('window_started_at', '<', new Date(now - rule.windowMs).toISOString())
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', iso)]))
    .execute();
  const r = await trx
    .updateTable('throttles')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('key', '=', key)
    .where('failures', '<', rule.max)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', iso)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Gives back a reservation (the attempt succeeded, or another limit refused it). */
export async function releaseAttempt(trx: Trx, key: string): Promise<void> {
  await trx
    .updateTable('throttles')
    .set((eb) => ({
      failures: eb
        .case()
        .when('failures', '>', 0)
        .then(eb('failures', '-', 1))
        .else(0)
        .end(),
    }))
    .where('key', '=', key)
    .execute();
}

/** Locks `key` when its count has reached the limit; true when this call locked it. */
export async function lockIfFull(trx: Trx, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
  const iso = new Date(now).toISOString();
  const locked = await trx
    .updateTable('throttles')
    .set({ locked_until: new Date(now + rule.lockMs).toISOString() })
    .where('key', '=', key)
    .where('failures', '>=', rule.max)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', iso)]))
    .executeTakeFirst();
  return Number(locked.numUpdatedRows) > 0;
}

export async function clearFailures(trx: Trx, key: string): Promise<void> {
  await trx.deleteFrom('throttles').where('key', '=', key).execute();
}
