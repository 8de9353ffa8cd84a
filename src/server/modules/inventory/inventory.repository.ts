/**
 * The SQL of items and their stock ledger (items.service.ts): search and lists, writes, imports
 * and exports, and the ledger. Reads take `Db` (the database or an open transaction); writes
 * take `Trx`, so calling them outside a transaction is a type error. Categories and suppliers
 * are in catalog.repository.ts, stocktakes in counts.repository.ts.
 */
import { type Insertable, sql } from 'kysely';
import { MAX_STOCK } from '../../../shared/contracts/bounds.ts';
import type { ItemFilter } from '../../../shared/contracts/inventory.ts';
import { type Engine, lockChain, lockRow } from '../../db/dialect.ts';
import { prepared } from '../../db/prepared.ts';
import type { Flag, ItemSuppliersTable, ItemsTable, MovementKind } from '../../db/schema.ts';
import type { Db, Trx } from '../context.ts';
import { cachedItemCount } from './item-counts.repository.ts';
import { searchPageIds } from './item-search.repository.ts';

// --- settings ------------------------------------------------------------------------------------

/** The advisory lock that serialises saves of the inventory settings. */
const SETTINGS_LOCK = 0x5354_4953; // "STIS"

/**
 * Holds the inventory settings for the transaction, so a save reads the value it replaces and
 * writes before the next save reads: each audit event's "before" is the previous one's "after".
 * A row lock would not do for the first save (there is no row yet); PostgreSQL takes an advisory
 * lock, SQLite already runs one writer at a time.
 */
export function lockSettings(trx: Trx, engine: Engine): Promise<void> {
  return lockChain(trx, engine, SETTINGS_LOCK);
}

// --- items -------------------------------------------------------------------------------------------

/** What search matches: SKU, name and location, lower-cased. */
export function searchTextOf(item: Pick<ItemsTable, 'sku' | 'name' | 'location'>): string {
  return `${item.sku} ${item.name} ${item.location}`.toLowerCase();
}

/** Inserts an item with defaults for whatever is not given; on-hand starts at 0 (stock comes through the ledger). */
export async function insertItem(
  trx: Trx,
  item: Pick<ItemsTable, 'id' | 'sku' | 'name'> & Partial<Omit<ItemsTable, 'on_hand' | 'search_text' | 'search_id'>>,
  now: string,
): Promise<void> {
  const row: Omit<ItemsTable, 'search_text' | 'search_id'> = {
    description: '',
    category_id: null,
    unit: 'pcs',
    cost: 0,
    price: 0,
    vat_rate_bp: 0,
    price_includes_vat: 1,
    location: '',
    reorder_level: 0,
    reorder_quantity: 0,
    active: 1,
    created_at: now,
    updated_at: now,
    ...item,
    on_hand: 0,
  };
  await trx
    .insertInto('items')
    .values({
      ...row,
      search_text: searchTextOf(row),
      // Writers are serialized on SQLite, where this id matters; PostgreSQL does not use it.
      search_id: sql<number>`(select coalesce(max(search_id), 0) + 1 from items)`,
    })
    .execute();
}

/**
 * The search terms of a query: its words, lower-cased; a word of one or two characters (a size,
 * a number) is joined to the word before it (or after it), so "aisle 17" looks for "aisle 17"
 * and every term can use the trigram index.
 */
export function searchTerms(q: string | undefined): string[] {
  const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  const terms: string[] = [];
  for (const w of words) {
    const last = terms.length - 1;
    if (last >= 0 && (w.length < 3 || (terms[last] as string).length < 3)) terms[last] = `${terms[last]} ${w}`;
    else terms.push(w);
  }
  return terms;
}

const ftsPhrase = (term: string) => `"${term.replaceAll('"', '""')}"`;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Items matching a filter. Words of `q` must all occur (as substrings) in SKU, name or location:
 * on SQLite through the FTS5 trigram index (words of 3+ characters), on PostgreSQL through the
 * pg_trgm index on the same text.
 */
export function filteredItems(db: Db, engine: Engine, f: Partial<ItemFilter>) {
  let q = db.selectFrom('items');
  if (f.status === 'active' || f.status === undefined) q = q.where('items.active', '=', 1);
  else if (f.status === 'archived') q = q.where('items.active', '=', 0);
  if (f.categoryId) q = q.where('items.category_id', '=', f.categoryId);
  if (f.location) q = q.where('items.location', '=', f.location);
  if (f.lowStock) q = q.whereRef('items.on_hand', '<=', 'items.reorder_level').where('items.reorder_level', '>', 0);
  if (f.supplierId) {
    const supplierId = f.supplierId;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('item_suppliers')
          .select('item_suppliers.item_id')
          .whereRef('item_suppliers.item_id', '=', 'items.id')
          .where('item_suppliers.supplier_id', '=', supplierId),
      ),
    );
  }
  for (const term of searchTerms(f.q)) {
    q =
      engine === 'sqlite' && term.length >= 3
        ? q.where(
            'items.id',
            'in',
            sql<string>`(select item_id from items_fts where items_fts match ${ftsPhrase(term)})`,
          )
        : q.where('items.search_text', 'like', `%${likeEscape(term)}%`);
  }
  return q;
}

const SORT = {
  name: 'items.name',
  sku: 'items.sku',
  onHand: 'items.on_hand',
  price: 'items.price',
  updatedAt: 'items.updated_at',
} as const;

export async function listItems(
  db: Db,
  engine: Engine,
  f: Partial<ItemFilter>,
  page: { sort: keyof typeof SORT; order: 'asc' | 'desc'; offset: number; limit: number },
  /** The item-count version the caller read with the ETag (itemVersions); read here when not given. */
  countsVersion?: number,
) {
  const terms = searchTerms(f.q);
  const onlySearch =
    f.categoryId === undefined && f.supplierId === undefined && f.location === undefined && !f.lowStock;
  if (
    engine === 'sqlite' &&
    terms.length > 0 &&
    terms.every((t) => t.length >= 3) &&
    onlySearch &&
    page.sort === 'name'
  ) {
    return searchByIndex(db, terms, f.status ?? 'active', page, countsVersion);
  }
  const base = filteredItems(db, engine, f);
  const [rows, total] = await Promise.all([
    base
      .leftJoin('categories', 'categories.id', 'items.category_id')
      .selectAll('items')
      .select('categories.name as category_name')
      .orderBy(SORT[page.sort], page.order)
      .orderBy('items.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    cachedItemCount(
      db,
      countKey(f),
      base.select((eb) => eb.fn.countAll<number>().as('n')),
      countsVersion,
    ),
  ]);
  return { rows, total };
}

/** What a filter's count depends on (not its order or page). */
function countKey(f: Partial<ItemFilter>): string {
  return JSON.stringify([f.status ?? 'active', f.categoryId, f.supplierId, f.location, f.lowStock, searchTerms(f.q)]);
}

/**
 * SQLite's fast path for a plain search ordered by name: the FTS table counts the matches (it
 * carries `active` and `name`; the count is cached), the cheaper plan finds the page's ids
 * (item-search.ts); only the page's rows are read from items.
 */
async function searchByIndex(
  db: Db,
  terms: string[],
  status: 'active' | 'archived' | 'all',
  page: { order: 'asc' | 'desc'; offset: number; limit: number },
  countsVersion: number | undefined,
) {
  const match = terms.map(ftsPhrase).join(' AND ');
  const active = status === 'all' ? sql`` : sql` and active = ${status === 'active' ? 1 : 0}`;
  const matches = await cachedItemCount(
    db,
    JSON.stringify(['fts', status, terms]),
    sql`select count(*) from items_fts where items_fts match ${match}${active}`,
    countsVersion,
  );
  const order = await searchPageIds(db, { terms, match, status, matches, page, countsVersion });
  const rows = await getItems(db, order);
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  return { rows, total: matches };
}

const itemsById = prepared((db, ids: readonly string[]) =>
  db
    .selectFrom('items')
    .leftJoin('categories', 'categories.id', 'items.category_id')
    .selectAll('items')
    .select('categories.name as category_name')
    .where('items.id', 'in', ids),
);

/** Items by id with their category's name (built once per list length: item reads are hot). */
export async function getItems(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return itemsById(db, ids);
}
export type ItemRow = Awaited<ReturnType<typeof getItems>>[number];

const supplierLinksOf = prepared((db, itemIds: readonly string[]) =>
  db
    .selectFrom('item_suppliers')
    .innerJoin('suppliers', 'suppliers.id', 'item_suppliers.supplier_id')
    .select([
      'item_suppliers.item_id',
      'item_suppliers.supplier_id',
      'suppliers.name as supplier_name',
      'item_suppliers.supplier_sku',
      'item_suppliers.supplier_price',
      'item_suppliers.preferred',
    ])
    .where('item_suppliers.item_id', 'in', itemIds)
    .orderBy('item_suppliers.preferred', 'desc')
    .orderBy('suppliers.name'),
);

/** The supplier links of these items, preferred first (built once per list length: every item read has them). */
export async function supplierLinks(db: Db, itemIds: readonly string[]) {
  if (itemIds.length === 0) return [];
  return supplierLinksOf(db, itemIds);
}

/**
 * Makes an item's supplier links these: removes the links not among them, changes those whose
 * SKU, price or preferred flag differ, adds the new ones, and writes nothing for a link that
 * stays as it is. Each written link moves the item-count version (triggers): an edit that keeps
 * the suppliers, as the item form sends them on every save, must not throw every cached count away.
 */
export async function replaceSupplierLinks(
  trx: Trx,
  itemId: string,
  links: { supplierId: string; supplierSku: string; supplierPrice: number; preferred: boolean }[],
): Promise<void> {
  const existing = await trx
    .selectFrom('item_suppliers')
    .select(['supplier_id', 'supplier_sku', 'supplier_price', 'preferred'])
    .where('item_id', '=', itemId)
    .execute();
  const wanted = new Set(links.map((l) => l.supplierId));
  const gone = existing.filter((e) => !wanted.has(e.supplier_id)).map((e) => e.supplier_id);
  if (gone.length > 0) {
    await trx.deleteFrom('item_suppliers').where('item_id', '=', itemId).where('supplier_id', 'in', gone).execute();
  }
  const added: Insertable<ItemSuppliersTable>[] = [];
  const seen = new Set<string>();
  for (const l of links) {
    const row = {
      supplier_sku: l.supplierSku,
      supplier_price: l.supplierPrice,
      preferred: (l.preferred ? 1 : 0) as Flag,
    };
    // A supplier named twice is inserted twice, so the key refuses it as it always did.
    const had = seen.has(l.supplierId) ? undefined : existing.find((e) => e.supplier_id === l.supplierId);
    seen.add(l.supplierId);
    if (!had) added.push({ item_id: itemId, supplier_id: l.supplierId, ...row });
    else if (
      had.supplier_sku !== row.supplier_sku ||
      Number(had.supplier_price) !== row.supplier_price ||
      Number(had.preferred) !== row.preferred
    ) {
      await trx
        .updateTable('item_suppliers')
        .set(row)
        .where('item_id', '=', itemId)
        .where('supplier_id', '=', l.supplierId)
        .execute();
    }
  }
  if (added.length > 0) await trx.insertInto('item_suppliers').values(added).execute();
}

/**
 * Locks an item's row until the transaction ends, so what a change reads of it (to check it or
 * to record it as "before") is still true when it writes: changes of one item run one at a time.
 */
export function lockItem(trx: Trx, engine: Engine, id: string): Promise<void> {
  return lockRow(trx, engine, 'items', id);
}

/** Whether the category exists and is not archived. */
export async function categoryIsActive(db: Db, id: string): Promise<boolean> {
  const c = await db.selectFrom('categories').select('archived_at').where('id', '=', id).executeTakeFirst();
  return c !== undefined && c.archived_at === null;
}

/** How many of these supplier ids name a supplier that exists. */
export async function countSuppliers(db: Db, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await db.selectFrom('suppliers').select('id').where('id', 'in', ids).execute()).length;
}

/** Item columns a change may set (on-hand moves only through `applyStockChange`). */
export type ItemPatch = Partial<Omit<ItemsTable, 'id' | 'on_hand' | 'search_id' | 'created_at' | 'updated_at'>>;

/**
 * Changes an item's columns. With `onHand`, only while its on-hand figure is still that: false
 * when it is not (a stock movement came first), and nothing is changed.
 */
export async function updateItem(
  trx: Trx,
  id: string,
  patch: ItemPatch,
  now: string,
  onHand?: number,
): Promise<boolean> {
  let q = trx
    .updateTable('items')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id);
  if (onHand !== undefined) q = q.where('on_hand', '=', onHand);
  return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
}

/** One item's stored row (every column), or undefined. */
export function itemRow(db: Db, id: string) {
  return db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every item of a filter (and, when given, among `ids`): the rows a bulk edit goes through. */
export function matchingItems(db: Db, engine: Engine, f: Partial<ItemFilter>, ids?: readonly string[]) {
  let q = filteredItems(db, engine, f).selectAll('items');
  if (ids) q = q.where('items.id', 'in', ids.length > 0 ? ids : ['']);
  return q.execute();
}

/** One page of an export: the filter's items with SKUs after `afterSku`, in SKU order (a keyset page). */
export function exportPage(db: Db, engine: Engine, f: Partial<ItemFilter>, afterSku: string, limit: number) {
  return filteredItems(db, engine, f)
    .leftJoin('categories', 'categories.id', 'items.category_id')
    .selectAll('items')
    .select('categories.name as category_name')
    .where('items.sku', '>', afterSku)
    .orderBy('items.sku')
    .limit(limit)
    .execute();
}

/** Ids of active categories by name (what an import's category column may name). */
export function activeCategories(db: Db) {
  return db.selectFrom('categories').select(['id', 'name']).where('archived_at', 'is', null).execute();
}

/** The supplier's id and name when it exists and is not archived. */
export function activeSupplier(db: Db, id: string) {
  return db
    .selectFrom('suppliers')
    .select(['id', 'name'])
    .where('id', '=', id)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
}

/** Every supplier's id and name, and whether it is archived (what an import's supplier column may name). */
export function supplierNames(db: Db) {
  return db.selectFrom('suppliers').select(['id', 'name', 'archived_at']).execute();
}

/** The items with these SKUs, with their on-hand figure. */
export function itemsBySku(db: Db, skus: readonly string[]) {
  if (skus.length === 0) return Promise.resolve([]);
  return db.selectFrom('items').select(['id', 'sku', 'on_hand']).where('sku', 'in', skus).execute();
}

// --- the stock ledger -------------------------------------------------------------------------------

export type StockChange = {
  itemId: string;
  delta: number;
  kind: MovementKind;
  reason: string | null;
  reference: { type: string; id: string } | null;
  actorId: string | null;
  /** Booked in a session elevated by the master code: the ledger marks it. */
  elevated: boolean;
  allowNegative: boolean;
  now: string;
};

/**
 * Changes on-hand stock and writes its movement, atomically: one UPDATE that adds the delta
 * (refused by its own WHERE when stock would go below zero), then the ledger row with the
 * figures the UPDATE returned. Concurrent changes of one item serialize on the row.
 */
export async function applyStockChange(
  trx: Trx,
  c: StockChange,
): Promise<{ before: number; after: number; movementId: number } | null> {
  // Below zero only when allowed, and only a decrease can be refused for it: goods arriving at an
  // item that is already negative (allowed earlier) are booked even if it stays below zero.
  const floor = c.allowNegative || c.delta >= 0 ? -MAX_STOCK : 0;
  const [row] = await stockUpdate(trx, c.delta, c.now, c.itemId, c.delta, c.delta, floor);
  if (!row) return null;
  const after = Number(row.on_hand);
  const [movement] = await movementInsert(
    trx,
    c.itemId,
    c.kind,
    c.delta,
    after - c.delta,
    after,
    c.reason,
    c.reference?.type ?? null,
    c.reference?.id ?? null,
    c.actorId,
    c.elevated ? 1 : 0,
    c.now,
  );
  if (!movement) throw new Error('The stock movement was not written.');
  return { before: after - c.delta, after, movementId: Number(movement.id) };
}

// Built once (every stock change runs both); the delta is given once per place it is used.
const stockUpdate = prepared(
  (db, delta: number, now: string, itemId: string, deltaHigh: number, deltaLow: number, floor: number) =>
    db
      .updateTable('items')
      .set((eb) => ({ on_hand: eb('on_hand', '+', delta), updated_at: now }))
      .where('id', '=', itemId)
      .where((eb) => eb(eb('on_hand', '+', deltaHigh), '<=', MAX_STOCK))
      .where((eb) => eb(eb('on_hand', '+', deltaLow), '>=', floor))
      .returning('on_hand'),
);
const movementInsert = prepared(
  (
    db,
    itemId: string,
    kind: string,
    quantity: number,
    before: number,
    after: number,
    reason: string | null,
    referenceType: string | null,
    referenceId: string | null,
    actorId: string | null,
    elevated: number,
    createdAt: string,
  ) =>
    db
      .insertInto('stock_movements')
      .values({
        item_id: itemId,
        kind: kind as MovementKind,
        quantity,
        before,
        after,
        reason,
        reference_type: referenceType,
        reference_id: referenceId,
        actor_user_id: actorId,
        elevated: elevated as 0 | 1,
        created_at: createdAt,
      })
      .returning('id'),
);

export async function listMovements(db: Db, itemId: string, before: number | undefined, limit: number) {
  let q = db
    .selectFrom('stock_movements')
    .leftJoin('users', 'users.id', 'stock_movements.actor_user_id')
    .selectAll('stock_movements')
    .select('users.name as actor_name')
    .where('stock_movements.item_id', '=', itemId);
  if (before !== undefined) q = q.where('stock_movements.id', '<', before);
  return q.orderBy('stock_movements.id', 'desc').limit(limit).execute();
}

/** Items whose on-hand figure differs from the sum of their ledger (should be none). */
export async function stockDiscrepancies(db: Db) {
  const rows = await db
    .selectFrom('items')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('stock_movements')
          .select(['item_id', (e) => e.fn.sum<number>('quantity').as('total')])
          .groupBy('item_id')
          .as('ledger'),
      (join) => join.onRef('ledger.item_id', '=', 'items.id'),
    )
    .select(['items.id', 'items.sku', 'items.name', 'items.on_hand', 'ledger.total'])
    .execute();
  return rows
    .map((r) => ({ id: r.id, sku: r.sku, name: r.name, onHand: Number(r.on_hand), ledger: Number(r.total ?? 0) }))
    .filter((r) => r.onHand !== r.ledger);
}
