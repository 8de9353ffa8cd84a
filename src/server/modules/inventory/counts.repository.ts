/**
 * The SQL of stocktakes (counts.service.ts). Reads take `Db`, writes and locks take `Trx`.
 */
import { type Engine, lockRow } from '../../db/dialect.ts';
import type { StockCountsTable } from '../../db/schema.ts';
import type { Db, Trx } from '../context.ts';

/** Stocktakes with the name of who opened each: the newest 100, or the one with `id`. */
export function countRows(db: Db, id?: string) {
  let q = db
    .selectFrom('stock_counts')
    .leftJoin('users', 'users.id', 'stock_counts.created_by')
    .selectAll('stock_counts')
    .select('users.name as created_by_name');
  if (id !== undefined) q = q.where('stock_counts.id', '=', id);
  return q.orderBy('stock_counts.created_at', 'desc').limit(100).execute();
}

/** The expected and counted figures of every line of these stocktakes. */
export async function lineFigures(db: Db, countIds: readonly string[]) {
  if (countIds.length === 0) return [];
  return db
    .selectFrom('stock_count_lines')
    .select(['count_id', 'expected', 'counted'])
    .where('count_id', 'in', countIds)
    .execute();
}

/** One stocktake's lines with their items, in walking order (location, then name). */
export function countLines(db: Db, countId: string) {
  return db
    .selectFrom('stock_count_lines')
    .innerJoin('items', 'items.id', 'stock_count_lines.item_id')
    .select([
      'stock_count_lines.item_id',
      'stock_count_lines.expected',
      'stock_count_lines.counted',
      'items.sku',
      'items.name',
      'items.location',
      'items.unit',
    ])
    .where('stock_count_lines.count_id', '=', countId)
    .orderBy('items.location')
    .orderBy('items.name')
    .execute();
}

/** Active items to count, optionally of one category and/or one location, with their on-hand figure. */
export function itemsToCount(db: Db, f: { categoryId?: string | undefined; location?: string | undefined }) {
  let q = db.selectFrom('items').select(['id', 'on_hand']).where('active', '=', 1);
  if (f.categoryId) q = q.where('category_id', '=', f.categoryId);
  if (f.location) q = q.where('location', '=', f.location);
  return q.execute();
}

/** Opens a stocktake with one line per item, expecting each item's figure as given. */
export async function insertCount(
  trx: Trx,
  count: Pick<StockCountsTable, 'id' | 'note' | 'created_by' | 'created_at'>,
  expected: readonly { itemId: string; onHand: number }[],
): Promise<void> {
  await trx
    .insertInto('stock_counts')
    .values({ ...count, status: 'open', closed_at: null, closed_by: null })
    .execute();
  for (let i = 0; i < expected.length; i += 500) {
    await trx
      .insertInto('stock_count_lines')
      .values(
        expected
          .slice(i, i + 500)
          .map((it) => ({ count_id: count.id, item_id: it.itemId, expected: it.onHand, counted: null })),
      )
      .execute();
  }
}

/** The stocktake, locked until the transaction ends (so a post cannot interleave with it). */
export async function lockedCount(trx: Trx, engine: Engine, id: string) {
  await lockRow(trx, engine, 'stock_counts', id);
  return trx.selectFrom('stock_counts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Sets one line's counted quantity; false when the item is not on this stocktake. */
export async function setCounted(trx: Trx, countId: string, itemId: string, counted: number | null): Promise<boolean> {
  const r = await trx
    .updateTable('stock_count_lines')
    .set({ counted })
    .where('count_id', '=', countId)
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Closes an open stocktake as posted or cancelled; false when it is not open (or not there).
 * The `status = 'open'` condition makes the claim one statement: of two posts at once, the one
 * PostgreSQL lets through second finds it posted already and changes nothing.
 */
export async function closeCount(
  trx: Trx,
  id: string,
  close: { status: 'posted' | 'cancelled'; closed_at: string; closed_by: string | null },
): Promise<boolean> {
  const r = await trx
    .updateTable('stock_counts')
    .set(close)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The lines of a stocktake that were counted. */
export function countedLines(db: Db, countId: string) {
  return db
    .selectFrom('stock_count_lines')
    .selectAll()
    .where('count_id', '=', countId)
    .where('counted', 'is not', null)
    .execute();
}
