import type { Kysely } from 'kysely';

/**
 * A purchase order's supplier reference (issue 19, purchasing friction): the supplier's own number
 * for the order (their quote or confirmation), at most 100 characters, null when none was given.
 * Same column on both engines.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('purchase_orders').addColumn('supplier_reference', 'text').execute();
}
