import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';

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
export async function lockedFor(db: Kysely<DB>, key: string, now: number): Promise<number> {
  const row = await db.selectFrom('throttles').select('locked_until').where('key', '=', key).executeTakeFirst();
  const until = row?.locked_until ? Date.parse(row.locked_until) : 0;
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/**
 * Reserves one attempt under `key`: true when it is within the limit (and now counted), false
 * when the key is locked or already at its limit (nothing counted).
 */
export async function reserveAttempt(trx: Kysely<DB>, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
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
export async function releaseAttempt(trx: Kysely<DB>, key: string): Promise<void> {
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
export async function lockIfFull(trx: Kysely<DB>, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
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

export async function clearFailures(trx: Kysely<DB>, key: string): Promise<void> {
  await trx.deleteFrom('throttles').where('key', '=', key).execute();
}
