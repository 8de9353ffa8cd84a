import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Inventory: categories, suppliers, items with supplier links, the stock ledger, stocktakes,
 * purchase orders. Item search: FTS5 with the trigram tokenizer on SQLite, pg_trgm on PostgreSQL,
 * both over `items.search_text`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const serial = (t: Parameters<typeof db.schema.createTable>[0]) =>
    postgres
      ? db.schema.createTable(t).addColumn('id', 'serial', (c) => c.primaryKey())
      : db.schema.createTable(t).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  await db.schema
    .createTable('categories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('archived_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('categories_name_idx').on('categories').column('name').unique().execute();

  await db.schema
    .createTable('suppliers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('phone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('archived_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('suppliers_name_idx').on('suppliers').column('name').unique().execute();

  await db.schema
    .createTable('items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('category_id', 'text', (c) => c.references('categories.id'))
    .addColumn('unit', 'text', (c) => c.notNull().defaultTo('pcs'))
    .addColumn('cost', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('price', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('vat_rate_bp', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('price_includes_vat', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('location', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('reorder_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reorder_quantity', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('on_hand', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
    // SQLite: the item's row in items_fts (a stable integer; implicit rowids may change on VACUUM).
    .addColumn('search_id', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('items_name_idx').on('items').columns(['name', 'id']).execute();
  await db.schema.createIndex('items_category_idx').on('items').columns(['category_id', 'name']).execute();
  await db.schema.createIndex('items_active_idx').on('items').columns(['active', 'name']).execute();

  if (postgres) {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index items_search_trgm_idx on items using gin (search_text gin_trgm_ops)`.execute(db);
  } else {
    // A copy of the searchable text, kept by triggers, indexed by trigrams (substring search).
    // `active` and `name` ride along so a search can filter, count and order by name without
    // touching the items table until the page's rows are fetched.
    await sql`create virtual table items_fts using fts5(
      item_id unindexed, active unindexed, name unindexed, search_text, tokenize = 'trigram')`.execute(db);
    await db.schema.createIndex('items_search_id_idx').on('items').column('search_id').unique().execute();
    await sql`create trigger items_fts_insert after insert on items begin
      insert into items_fts (rowid, item_id, active, name, search_text)
      values (new.search_id, new.id, new.active, new.name, new.search_text); end`.execute(db);
    await sql`create trigger items_fts_update after update of search_text, active, name on items begin
      update items_fts set active = new.active, name = new.name, search_text = new.search_text
      where rowid = old.search_id; end`.execute(db);
    await sql`create trigger items_fts_delete after delete on items begin
      delete from items_fts where rowid = old.search_id; end`.execute(db);
  }

  await db.schema
    .createTable('item_suppliers')
    .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
    .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
    .addColumn('supplier_sku', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('supplier_price', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('preferred', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('item_suppliers_pk', ['item_id', 'supplier_id'])
    .execute();
  await db.schema.createIndex('item_suppliers_supplier_idx').on('item_suppliers').column('supplier_id').execute();

  await serial('stock_movements')
    .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('before', 'integer', (c) => c.notNull())
    .addColumn('after', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    .addColumn('actor_user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stock_movements_item_idx').on('stock_movements').columns(['item_id', 'id']).execute();

  await db.schema
    .createTable('stock_counts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('closed_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema
    .createTable('stock_count_lines')
    .addColumn('count_id', 'text', (c) => c.notNull().references('stock_counts.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
    .addColumn('expected', 'integer', (c) => c.notNull())
    .addColumn('counted', 'integer')
    .addPrimaryKeyConstraint('stock_count_lines_pk', ['count_id', 'item_id'])
    .execute();

  await db.schema
    .createTable('purchase_orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'integer', (c) => c.notNull().unique())
    .addColumn('supplier_id', 'text', (c) => c.notNull().references('suppliers.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('expected_at', 'text')
    .addColumn('ordered_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('invoice_name', 'text')
    .addColumn('invoice_size', 'integer')
    .addColumn('invoice_uploaded_at', 'text')
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('purchase_orders_status_idx')
    .on('purchase_orders')
    .columns(['status', 'number'])
    .execute();
  await serial('purchase_order_lines')
    .addColumn('order_id', 'text', (c) => c.notNull().references('purchase_orders.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unit_cost', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('purchase_order_lines_order_idx').on('purchase_order_lines').column('order_id').execute();
}
