import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Money and quantities in 64-bit columns (issue 10, bounded numbers). PostgreSQL's `integer` held
 * at most 2^31 − 1 cents (21 474 836.47), so a larger price failed; `bigint` holds every amount
 * within the limits of src/shared/contracts/bounds.ts, and pg reads int8 as a JS number
 * (dialect.ts). SQLite's integers are already 64-bit: nothing to change there.
 */
const COLUMNS: Record<string, string[]> = {
  items: ['cost', 'price', 'reorder_level', 'reorder_quantity', 'on_hand'],
  item_suppliers: ['supplier_price'],
  stock_movements: ['quantity', 'before', 'after'],
  stock_count_lines: ['expected', 'counted'],
  purchase_orders: ['invoice_size'],
  purchase_order_lines: ['quantity', 'received', 'unit_cost'],
};

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const changes = columns.map((c) => sql`alter column ${sql.ref(c)} type bigint`);
    await sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
  }
}
