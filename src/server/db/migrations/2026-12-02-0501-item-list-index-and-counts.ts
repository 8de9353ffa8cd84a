import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * The item list without its two per-request costs (issue 20, part 3):
 * - an index in the list's own order: active items by `name, id`. The old `(active, name)` index
 *   left SQLite sorting each page through a temporary B-tree for the `id` tie-break. It carries
 *   `search_text` too, so a search for a common word walks it in name order without reading the
 *   table (item-search.ts: 30–40 ms → 0.4 ms for the first page at 100,000 items);
 * - a data version for item counts, `data_versions.item_counts`, bumped by triggers in the
 *   transaction of every change that can change how many items a filter matches (an item added
 *   or removed; its active flag, category, location, search text or reorder level changed; its
 *   low-stock state flipped; a supplier link added, removed or moved). A count cached under a
 *   version is right as long as the version stands, on every server instance, whoever wrote.
 *   Stock movements that do not flip the low-stock state leave it alone, so they do not queue on
 *   the version row.
 * - a data version for what item pages show, `data_versions.items`, bumped by every change of an
 *   item, its supplier links, a category or a supplier: the ETag of the item list and of an item
 *   (part 5), so `If-None-Match` answers 304 without the page query, right across instances.
 *   Writes that bump it also take the audit chain's lock, so it adds no queue of its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema.createIndex('items_list_idx').on('items').columns(['active', 'name', 'id', 'search_text']).execute();
  await db.schema.dropIndex('items_active_idx').execute();

  await db.schema
    .createTable('data_versions')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db
    .insertInto('data_versions' as never)
    .values([
      { name: 'item_counts', version: 0 },
      { name: 'items', version: 0 },
    ] as never)
    .execute();
  const shown = ['items', 'item_suppliers', 'categories', 'suppliers'];
  const bumpShown = `update data_versions set version = version + 1 where name = 'items'`;

  const bump = `update data_versions set version = version + 1 where name = 'item_counts'`;
  const itemChanged = `old.active <> new.active
    or old.category_id is distinct from new.category_id
    or old.location <> new.location
    or old.search_text <> new.search_text
    or old.reorder_level <> new.reorder_level
    or (old.on_hand <= old.reorder_level) <> (new.on_hand <= new.reorder_level)`;
  const linkChanged = 'old.item_id <> new.item_id or old.supplier_id <> new.supplier_id';

  if (postgres) {
    // The audit chain's advisory lock first (audit.repository.ts, AUDIT_CHAIN_LOCK): every write
    // that bumps a version takes it anyway for its audit event, and always in this order (chain,
    // then version row) no two transactions can wait for each other.
    const chainFirst = 'perform pg_advisory_xact_lock(1398030679);';
    await sql
      .raw(`create function bump_item_counts() returns trigger language plpgsql as $$
        begin ${chainFirst} ${bump}; return null; end $$`)
      .execute(db);
    await sql
      .raw(`create trigger items_counts_insert_delete after insert or delete on items
        for each statement execute function bump_item_counts()`)
      .execute(db);
    await sql
      .raw(`create trigger items_counts_update after update on items
        for each row when (${itemChanged}) execute function bump_item_counts()`)
      .execute(db);
    await sql
      .raw(`create trigger item_suppliers_counts_insert_delete after insert or delete on item_suppliers
        for each statement execute function bump_item_counts()`)
      .execute(db);
    await sql
      .raw(`create trigger item_suppliers_counts_update after update on item_suppliers
        for each row when (${linkChanged}) execute function bump_item_counts()`)
      .execute(db);
    await sql
      .raw(`create function bump_items_shown() returns trigger language plpgsql as $$
        begin ${chainFirst} ${bumpShown}; return null; end $$`)
      .execute(db);
    for (const table of shown) {
      await sql
        .raw(`create trigger ${table}_shown after insert or update or delete on ${table}
          for each statement execute function bump_items_shown()`)
        .execute(db);
    }
    return;
  }
  for (const [table, name, event] of [
    ['items', 'items_counts_insert', 'insert'],
    ['items', 'items_counts_delete', 'delete'],
    ['item_suppliers', 'item_suppliers_counts_insert', 'insert'],
    ['item_suppliers', 'item_suppliers_counts_delete', 'delete'],
  ] as const) {
    await sql.raw(`create trigger ${name} after ${event} on ${table} begin ${bump}; end`).execute(db);
  }
  await sql
    .raw(`create trigger items_counts_update after update on items when ${itemChanged} begin ${bump}; end`)
    .execute(db);
  await sql
    .raw(`create trigger item_suppliers_counts_update after update on item_suppliers when ${linkChanged}
      begin ${bump}; end`)
    .execute(db);
  for (const table of shown) {
    for (const event of ['insert', 'update', 'delete']) {
      await sql
        .raw(`create trigger ${table}_shown_${event} after ${event} on ${table} begin ${bumpShown}; end`)
        .execute(db);
    }
  }
}
