import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';

/**
 * Failure counters with a window and a lock, keyed by what is being throttled
 * (`login-ip:…`, `elevate-user:…`, `elevate-ip:…`). Every statement is a single atomic
 * update, so concurrent failures on PostgreSQL are all counted.
 */
export type ThrottleRule = { max: number; windowMs: number; lockMs: number };

/** Seconds until `key` is unlocked, or 0 when it is not locked. */
export async function lockedFor(db: Kysely<DB>, key: string, now: number): Promise<number> {
  const row = await db.selectFrom('throttles').select('locked_until').where('key', '=', key).executeTakeFirst();
  const until = row?.locked_until ? Date.parse(row.locked_until) : 0;
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/** Counts one failure; returns true when this failure locked the key. */
export async function recordFailure(trx: Kysely<DB>, key: string, rule: ThrottleRule, now: number): Promise<boolean> {
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
  await trx
    .updateTable('throttles')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('key', '=', key)
    .execute();
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
