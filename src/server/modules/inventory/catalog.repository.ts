/**
 * The SQL of categories and suppliers (catalog.service.ts). Reads take `Db`, writes take `Trx`.
 */
import { OPEN_ORDER_STATUSES } from '../../../shared/contracts/inventory.ts';
import { type Engine, lockRow } from '../../db/dialect.ts';
import type { CategoriesTable, SuppliersTable } from '../../db/schema.ts';
import type { Db, Trx } from '../context.ts';

/**
 * Locks a category's or supplier's row until the transaction ends, so the checks a change makes
 * on it (already archived? items or open orders left?) still hold when it writes.
 */
export function lockCatalogRow(trx: Trx, engine: Engine, table: 'categories' | 'suppliers', id: string) {
  return lockRow(trx, engine, table, id);
}

type CatalogFilter = { includeArchived: boolean; id?: string };

/** Categories by name, each with its number of active items. */
export async function listCategories(db: Db, f: CatalogFilter) {
  let q = db.selectFrom('categories');
  if (!f.includeArchived) q = q.where('categories.archived_at', 'is', null);
  if (f.id !== undefined) q = q.where('categories.id', '=', f.id);
  return q
    .selectAll('categories')
    .select((eb) =>
      eb
        .selectFrom('items')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('items.category_id', '=', 'categories.id')
        .where('items.active', '=', 1)
        .as('item_count'),
    )
    .orderBy('categories.name')
    .execute();
}

/** Suppliers by name, each with its number of linked items. */
export async function listSuppliers(db: Db, f: CatalogFilter) {
  let q = db.selectFrom('suppliers');
  if (!f.includeArchived) q = q.where('suppliers.archived_at', 'is', null);
  if (f.id !== undefined) q = q.where('suppliers.id', '=', f.id);
  return q
    .selectAll('suppliers')
    .select((eb) =>
      eb
        .selectFrom('item_suppliers')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('item_suppliers.supplier_id', '=', 'suppliers.id')
        .as('item_count'),
    )
    .orderBy('suppliers.name')
    .execute();
}

type CategoryValues = Pick<CategoriesTable, 'name' | 'description'>;

export async function insertCategory(trx: Trx, id: string, values: CategoryValues, now: string): Promise<void> {
  await trx
    .insertInto('categories')
    .values({ id, ...values, archived_at: null, created_at: now, updated_at: now })
    .execute();
}

/** Changes a category's name, description or archived mark. */
export async function updateCategory(
  trx: Trx,
  id: string,
  patch: Partial<CategoryValues & Pick<CategoriesTable, 'archived_at'>>,
  now: string,
): Promise<void> {
  await trx
    .updateTable('categories')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .execute();
}

type SupplierValues = Pick<SuppliersTable, 'name' | 'contact_name' | 'email' | 'phone' | 'address' | 'notes'>;

export async function insertSupplier(trx: Trx, id: string, values: SupplierValues, now: string): Promise<void> {
  await trx
    .insertInto('suppliers')
    .values({ id, ...values, archived_at: null, created_at: now, updated_at: now })
    .execute();
}

/** Changes a supplier's details or archived mark. */
export async function updateSupplier(
  trx: Trx,
  id: string,
  patch: Partial<SupplierValues & Pick<SuppliersTable, 'archived_at'>>,
  now: string,
): Promise<void> {
  await trx
    .updateTable('suppliers')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** The number of one open purchase order with this supplier, if there is one. */
export async function openOrderNumberOf(db: Db, supplierId: string): Promise<number | null> {
  const open = await db
    .selectFrom('purchase_orders')
    .select('number')
    .where('supplier_id', '=', supplierId)
    .where('status', 'in', OPEN_ORDER_STATUSES)
    .executeTakeFirst();
  return open ? Number(open.number) : null;
}
