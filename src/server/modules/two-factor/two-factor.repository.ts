/**
 * Two-step sign-in's tables. Every state change is a guarded update whose row count says whether it
 * happened, so parallel requests cannot accept one code twice, spend a recovery code twice, or try
 * a pending sign-in more often than its limit.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';

export async function findTwoFactor(db: Kysely<DB>, userId: string) {
  return db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Starts (or restarts) setting up: replaces an unconfirmed secret; false when one is already confirmed. */
export async function putPendingSecret(
  trx: Transaction<DB>,
  userId: string,
  secret: string,
  now: string,
): Promise<boolean> {
  await trx.deleteFrom('two_factor').where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
  const done = await trx
    .insertInto('two_factor')
    .values({ user_id: userId, secret, confirmed_at: null, last_step: null, created_at: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Confirms the pending secret with the step of the code that proved it; false when none is pending. */
export async function confirmSecret(trx: Transaction<DB>, userId: string, step: number, now: string) {
  const r = await trx
    .updateTable('two_factor')
    .set({ confirmed_at: now, last_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Accepts a code's time step once: false when this step (or a later one) was already used. */
export async function acceptStep(trx: Transaction<DB>, userId: string, step: number): Promise<boolean> {
  const r = await trx
    .updateTable('two_factor')
    .set({ last_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function replaceRecoveryCodes(trx: Transaction<DB>, userId: string, hashes: string[], now: string) {
  await trx.deleteFrom('two_factor_recovery_codes').where('user_id', '=', userId).execute();
  await trx
    .insertInto('two_factor_recovery_codes')
    .values(hashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now, used_at: null })))
    .execute();
}

/** Spends a recovery code; false when it is not this user's or was already spent. */
export async function spendRecoveryCode(trx: Transaction<DB>, userId: string, hash: string, now: string) {
  const r = await trx
    .updateTable('two_factor_recovery_codes')
    .set({ used_at: now })
    .where('code_hash', '=', hash)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function recoveryCodesLeft(db: Kysely<DB>, userId: string): Promise<number> {
  const r = await db
    .selectFrom('two_factor_recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Removes the user's second factor, recovery codes and pending sign-ins; true when one was set up. */
export async function removeTwoFactor(trx: Transaction<DB>, userId: string): Promise<boolean> {
  await trx.deleteFrom('two_factor_recovery_codes').where('user_id', '=', userId).execute();
  await trx.deleteFrom('two_factor_challenges').where('user_id', '=', userId).execute();
  const r = await trx.deleteFrom('two_factor').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function insertChallenge(
  trx: Transaction<DB>,
  c: { id: string; userId: string; enrol: boolean; expiresAt: string; now: string },
) {
  // Expired pending sign-ins go as new ones come: the table holds only live ones.
  await trx.deleteFrom('two_factor_challenges').where('expires_at', '<=', c.now).execute();
  await trx
    .insertInto('two_factor_challenges')
    .values({
      id: c.id,
      user_id: c.userId,
      enrol: c.enrol ? 1 : 0,
      attempts: 0,
      expires_at: c.expiresAt,
      created_at: c.now,
    })
    .execute();
}

/**
 * Reserves one try of a live pending sign-in, before the code is checked; undefined when it is
 * unknown, expired or out of tries.
 */
export async function reserveChallengeTry(trx: Transaction<DB>, id: string, maxTries: number, now: string) {
  const r = await trx
    .updateTable('two_factor_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('attempts', '<', maxTries)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return undefined;
  return trx.selectFrom('two_factor_challenges').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Consumes a pending sign-in: true for the one request that does. */
export async function consumeChallenge(trx: Transaction<DB>, id: string): Promise<boolean> {
  const r = await trx.deleteFrom('two_factor_challenges').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
