import type { Kysely } from 'kysely';

/**
 * Whether a stock movement was booked in a session elevated by the master code (issue 19: the
 * item ledger marks such entries). Movements booked before this migration were not recorded as
 * such: they read 0.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('stock_movements')
    .addColumn('elevated', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
