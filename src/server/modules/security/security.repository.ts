import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';

export async function currentMasterCode(db: Kysely<DB>) {
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

export async function retireMasterCodes(trx: Kysely<DB>, now: string): Promise<void> {
  await trx.updateTable('master_codes').set({ retired_at: now }).where('retired_at', 'is', null).execute();
}

export async function insertMasterCode(
  trx: Kysely<DB>,
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
export async function reserveMasterCodeAttempt(trx: Kysely<DB>, id: string, max: number): Promise<boolean> {
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

export async function masterCodeFailures(trx: Kysely<DB>, id: string): Promise<number> {
  const row = await trx.selectFrom('master_codes').select('failures').where('id', '=', id).executeTakeFirstOrThrow();
  return row.failures;
}

/** Disables the code when it has reached `max` wrong entries; true when this call disabled it. */
export async function disableMasterCodeIfFull(trx: Kysely<DB>, id: string, max: number, now: string): Promise<boolean> {
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
export async function acceptMasterCode(trx: Kysely<DB>, id: string): Promise<boolean> {
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
export async function revokeUserApiKeys(trx: Kysely<DB>, userId: string, by: string, now: string): Promise<string[]> {
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
export async function listApiKeys(db: Kysely<DB>, scope: Scope<'api_key'>) {
  const q = db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id').select(apiKeyColumns);
  return whereInScope(q, scope).orderBy('api_keys.created_at', 'desc').execute();
}

/** One key, or undefined when there is none or it is outside the scope (a 404 either way). */
export async function findApiKey(db: Kysely<DB>, scope: Scope<'api_key'>, id: string) {
  return whereInScope(
    db.selectFrom('api_keys').innerJoin('users', 'users.id', 'api_keys.user_id').select(apiKeyColumns),
    scope,
  )
    .where('api_keys.id', '=', id)
    .executeTakeFirst();
}
export type ApiKeyRow = NonNullable<Awaited<ReturnType<typeof findApiKey>>>;

export async function insertApiKey(
  trx: Kysely<DB>,
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
export async function revokeApiKey(trx: Kysely<DB>, id: string, by: string, now: string): Promise<boolean> {
  const r = await trx
    .updateTable('api_keys')
    .set({ revoked_at: now, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The key with this token hash, joined with its user, for authentication. */
export async function findApiKeyForAuth(db: Kysely<DB>, tokenHash: string) {
  return db
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
    .where('api_keys.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchApiKey(db: Kysely<DB>, id: string, now: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
