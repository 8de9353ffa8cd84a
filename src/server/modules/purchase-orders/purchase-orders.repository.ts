/**
 * Every SQL statement of purchase orders (house style, "Repositories own SQL"). Plain functions
 * over a handle: reads take `Db` (the database or an open transaction), writes and locks take
 * `Trx`, so calling them outside a transaction is a type error. Rows come back as stored; the
 * service turns them into the API's shape.
 *
 * Reads may join inventory's tables (items, suppliers) for names and checks; changing or
 * locking them (stock, a supplier held while an order names it) goes through the inventory
 * module's services, never through SQL here.
 */
import { OPEN_ORDER_STATUSES } from '../../../shared/contracts/inventory.ts';
import { type Engine, lockChain, lockRow } from '../../db/dialect.ts';
import type { PurchaseOrderStatus, PurchaseOrdersTable } from '../../db/schema.ts';
import type { Db, Trx } from '../context.ts';

// --- reading --------------------------------------------------------------------------------------

/** Ids of the newest 500 orders in a status (`open`: any status goods may still arrive in). */
export async function orderIds(db: Db, status: PurchaseOrderStatus | 'open' | 'all'): Promise<string[]> {
  let q = db.selectFrom('purchase_orders').select('id');
  if (status === 'open') q = q.where('status', 'in', OPEN_ORDER_STATUSES);
  else if (status !== 'all') q = q.where('status', '=', status);
  return (await q.orderBy('number', 'desc').limit(500).execute()).map((r) => r.id);
}

/** The orders with these ids (newest first), with their supplier's name. */
export function orderRows(db: Db, ids: readonly string[]) {
  return db
    .selectFrom('purchase_orders')
    .innerJoin('suppliers', 'suppliers.id', 'purchase_orders.supplier_id')
    .selectAll('purchase_orders')
    .select('suppliers.name as supplier_name')
    .where('purchase_orders.id', 'in', ids)
    .orderBy('purchase_orders.number', 'desc')
    .execute();
}

/**
 * The lines of these orders with their item's SKU, name and unit, and the SKU the order's supplier
 * uses for the item (null when the item is not linked to that supplier), in the order they were written.
 */
export function lineRows(db: Db, orderIds: readonly string[]) {
  return db
    .selectFrom('purchase_order_lines')
    .innerJoin('items', 'items.id', 'purchase_order_lines.item_id')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.order_id')
    .leftJoin('item_suppliers', (j) =>
      j
        .onRef('item_suppliers.item_id', '=', 'purchase_order_lines.item_id')
        .onRef('item_suppliers.supplier_id', '=', 'purchase_orders.supplier_id'),
    )
    .selectAll('purchase_order_lines')
    .select(['items.sku', 'items.name', 'items.unit', 'item_suppliers.supplier_sku'])
    .where('purchase_order_lines.order_id', 'in', orderIds)
    .orderBy('purchase_order_lines.id')
    .execute();
}
/** How to reach an order's supplier (printed on the order's PDF). */
export function supplierContact(db: Db, supplierId: string) {
  return db
    .selectFrom('suppliers')
    .select(['name', 'contact_name', 'email', 'phone', 'address'])
    .where('id', '=', supplierId)
    .executeTakeFirst();
}

export type OrderRow = Awaited<ReturnType<typeof orderRows>>[number];
export type LineRow = Awaited<ReturnType<typeof lineRows>>[number];

/** How many of these item ids name an item that exists and is active. */
export async function countActiveItems(db: Db, itemIds: readonly string[]): Promise<number> {
  if (itemIds.length === 0) return 0;
  const found = await db.selectFrom('items').select('id').where('id', 'in', itemIds).where('active', '=', 1).execute();
  return found.length;
}

// --- numbers and locks ----------------------------------------------------------------------------

/** The advisory lock that serialises number allocation. */
const NUMBER_LOCK = 0x5354_504f; // "STPO"

/**
 * The next order number, allocated for the transaction. Numbers are max + 1 so they stay
 * gapless (a rolled-back order gives its number back); two creates reading the same max would
 * collide, so the allocation takes a transaction-long lock first: an advisory lock on PostgreSQL,
 * while SQLite already runs one writer at a time. The lock ends with the transaction, so the
 * number is written before anyone else can read the max.
 */
export async function allocateNumber(trx: Trx, engine: Engine): Promise<number> {
  await lockChain(trx, engine, NUMBER_LOCK);
  const last = await trx
    .selectFrom('purchase_orders')
    .select((eb) => eb.fn.max('number').as('n'))
    .executeTakeFirst();
  return Number(last?.n ?? 0) + 1;
}

/**
 * Locks the order's row until the transaction ends, so what the service reads next (status,
 * lines, received quantities) stays true until it writes: changes of one order run one at a time.
 */
export function lockOrder(trx: Trx, engine: Engine, id: string): Promise<void> {
  return lockRow(trx, engine, 'purchase_orders', id);
}

// --- writing --------------------------------------------------------------------------------------

export type NewOrder = Pick<
  PurchaseOrdersTable,
  'id' | 'number' | 'supplier_id' | 'notes' | 'expected_at' | 'supplier_reference' | 'created_by' | 'created_at'
>;

/** Inserts a draft order (no lines: `replaceLines` writes them). */
export async function insertOrder(trx: Trx, o: NewOrder): Promise<void> {
  await trx
    .insertInto('purchase_orders')
    .values({
      ...o,
      status: 'draft',
      ordered_at: null,
      closed_at: null,
      invoice_name: null,
      invoice_size: null,
      invoice_uploaded_at: null,
      updated_at: o.created_at,
    })
    .execute();
}

/** Changes an order's columns (status, dates, header fields, invoice facts). */
export async function updateOrder(
  trx: Trx,
  id: string,
  patch: Partial<Omit<PurchaseOrdersTable, 'id' | 'number' | 'created_by' | 'created_at'>> & { updated_at: string },
): Promise<void> {
  await trx.updateTable('purchase_orders').set(patch).where('id', '=', id).execute();
}

/** Replaces an order's lines with these (nothing received on any). */
export async function replaceLines(
  trx: Trx,
  orderId: string,
  lines: readonly { itemId: string; quantity: number; unitCost: number }[],
): Promise<void> {
  await trx.deleteFrom('purchase_order_lines').where('order_id', '=', orderId).execute();
  if (lines.length === 0) return;
  await trx
    .insertInto('purchase_order_lines')
    .values(
      lines.map((l) => ({
        order_id: orderId,
        item_id: l.itemId,
        quantity: l.quantity,
        received: 0,
        unit_cost: l.unitCost,
      })),
    )
    .execute();
}

/**
 * Adds `quantity` to a line's `received`, only while that stays within the ordered quantity;
 * false when it would not (or the line is not on this order). The check and the addition are
 * one statement, so each unit is received exactly once however many receipts race: the second
 * of two receipts for the last unit finds the condition false and changes nothing.
 *
 * With `over` (an over-delivery whose reason the service has checked) the ordered quantity is no
 * limit: `received` may pass it, up to `ceiling` (the largest quantity a line can hold). The
 * addition is still the one statement, so a receipt is counted once however many race.
 */
export async function receiveOnLine(
  trx: Trx,
  orderId: string,
  lineId: number,
  quantity: number,
  over: { ceiling: number } | null = null,
): Promise<boolean> {
  const moved = await trx
    .updateTable('purchase_order_lines')
    .set((eb) => ({ received: eb('received', '+', quantity) }))
    .where('id', '=', lineId)
    .where('order_id', '=', orderId)
    .where((eb) =>
      over
        ? eb(eb('received', '+', quantity), '<=', over.ceiling)
        : eb(eb('received', '+', quantity), '<=', eb.ref('quantity')),
    )
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) === 1;
}

/** Deletes an order (its lines go with it, by the foreign key's cascade). */
export async function deleteOrder(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('purchase_orders').where('id', '=', id).execute();
}

// --- what to order --------------------------------------------------------------------------------

/** Active items at or below their reorder level (a level of 0 means "never reorder"). */
export function lowStockItems(db: Db) {
  return db
    .selectFrom('items')
    .select(['id', 'sku', 'name', 'on_hand', 'reorder_level', 'reorder_quantity', 'cost'])
    .where('active', '=', 1)
    .where('reorder_level', '>', 0)
    .whereRef('on_hand', '<=', 'reorder_level')
    .orderBy('name')
    .execute();
}

/** Per item, the quantity still due on open orders (ordered minus received; an over-delivered line owes nothing). */
export function dueOnOpenOrders(db: Db) {
  return db
    .selectFrom('purchase_order_lines')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.order_id')
    .select([
      'purchase_order_lines.item_id',
      (eb) =>
        eb.fn
          .sum<number>(
            eb
              .case()
              .when('received', '<', eb.ref('quantity'))
              .then(eb('quantity', '-', eb.ref('received')))
              .else(0)
              .end(),
          )
          .as('due'),
    ])
    .where('purchase_orders.status', 'in', OPEN_ORDER_STATUSES)
    .groupBy('purchase_order_lines.item_id')
    .execute();
}

/** The active suppliers of these items with their price and whether each is preferred. */
export async function supplierOptions(db: Db, itemIds: readonly string[]) {
  if (itemIds.length === 0) return [];
  return db
    .selectFrom('item_suppliers')
    .innerJoin('suppliers', 'suppliers.id', 'item_suppliers.supplier_id')
    .select([
      'item_suppliers.item_id',
      'suppliers.id',
      'suppliers.name',
      'item_suppliers.supplier_price',
      'item_suppliers.preferred',
    ])
    .where('suppliers.archived_at', 'is', null)
    .where('item_suppliers.item_id', 'in', itemIds)
    .execute();
}
