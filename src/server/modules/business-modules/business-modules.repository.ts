import { sql, type Transaction } from 'kysely';
import type { Engine } from '../../db/dialect.ts';
import type { DB } from '../../db/schema.ts';

/**
 * Holds the settings row `key` until the transaction ends, so a read-change-write of that setting
 * runs one at a time: `select … for update` on PostgreSQL; SQLite's transactions already hold the
 * write lock from their first statement.
 */
export async function lockSettingRow(trx: Transaction<DB>, engine: Engine, key: string): Promise<void> {
  if (engine === 'postgres') await sql`select 1 from settings where key = ${key} for update`.execute(trx);
}
