import type { Kysely } from 'kysely';
import { prepared } from '../../db/prepared.ts';
import type { DB } from '../../db/schema.ts';

/** Reads one JSON setting, or undefined when it was never written. */
export async function getSetting<T>(db: Kysely<DB>, key: string): Promise<T | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row ? (JSON.parse(row.value) as T) : undefined;
}

/** Writes one JSON setting (insert or replace). */
export async function putSetting(db: Kysely<DB>, key: string, value: unknown, now: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value: JSON.stringify(value), updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
    .execute();
}

/** Inserts a setting that must not exist yet; a concurrent second insert fails with a unique violation. */
export async function insertSettingOnce(db: Kysely<DB>, key: string, value: unknown, now: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value: JSON.stringify(value), updated_at: now })
    .execute();
}

const settingsByKey = prepared(
  (db, keys: readonly string[]) => db.selectFrom('settings').select(['key', 'value']).where('key', 'in', keys),
  { untilChanged: true },
);

/** Reads several JSON settings in one query (built once: requests read settings); absent keys are missing from the result. */
export async function getSettings(db: Kysely<DB>, keys: readonly string[]): Promise<Map<string, unknown>> {
  if (keys.length === 0) return new Map();
  const rows = await settingsByKey(db, keys);
  return new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
}
