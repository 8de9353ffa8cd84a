import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import { MAX_STOCK, storedMoney, storedQuantity } from '../../../shared/contracts/bounds.ts';
import {
  type BulkEditBody,
  type CreateItemBody,
  type ImportPreview,
  type InventorySettings,
  type Item,
  type ItemFilter,
  ItemImportRow,
  type ItemListQuery,
  type Movement,
  type StockChangeBody,
  type UpdateItemBody,
} from '../../../shared/contracts/inventory.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { DB, ItemsTable, MovementKind } from '../../db/schema.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import { readImport } from '../../lib/import-reader.ts';
import { csvLines, xlsxStream } from '../../lib/spreadsheet.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { contextFor, inTransaction, type TxContext } from '../context.ts';
import { getSetting, putSetting } from '../settings/settings.repository.ts';
import { ITEM_COLUMNS } from './import-rows.ts';
import {
  applyStockChange,
  filteredItems,
  getItems,
  type ItemRow,
  insertItem,
  listItems,
  listMovements,
  replaceSupplierLinks,
  searchTextOf,
  supplierLinks,
} from './inventory.repository.ts';

type Deps = { database: Database; audit: AuditService; now: () => number };

export const INVENTORY_SETTING = 'inventory';
export const DEFAULT_INVENTORY: InventorySettings = { allowNegativeStock: false };

export { ITEM_COLUMNS };

const cents = (minor: number) => (minor / 100).toFixed(2);

/** Inventory items: the catalogue, the stock ledger, bulk edits, imports and exports. */
export class ItemsService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  async settings(db: Tx = this.deps.database.db): Promise<InventorySettings> {
    return { ...DEFAULT_INVENTORY, ...(await getSetting<Partial<InventorySettings>>(db, INVENTORY_SETTING)) };
  }

  async saveSettings(actor: Actor, next: InventorySettings, ctx: RequestContext): Promise<InventorySettings> {
    const before = await this.settings();
    await transaction(this.deps.database.db, async (trx) => {
      await putSetting(trx, INVENTORY_SETTING, next, this.iso());
      await this.deps.audit.record(trx, {
        action: 'settings.inventory',
        actor,
        target: { type: 'settings', id: 'inventory' },
        before,
        after: next,
        context: ctx,
      });
    });
    return next;
  }

  // --- reading ------------------------------------------------------------------------------------

  private async toItems(db: Tx, rows: ItemRow[]): Promise<Item[]> {
    const links = await supplierLinks(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      sku: r.sku,
      name: r.name,
      description: r.description,
      category: r.category_id ? { id: r.category_id, name: r.category_name ?? '' } : null,
      unit: r.unit,
      cost: storedMoney(r.cost),
      price: storedMoney(r.price),
      vatRateBp: Number(r.vat_rate_bp),
      priceIncludesVat: r.price_includes_vat === 1,
      location: r.location,
      reorderLevel: storedQuantity(r.reorder_level),
      reorderQuantity: storedQuantity(r.reorder_quantity),
      onHand: storedQuantity(r.on_hand),
      lowStock: storedQuantity(r.reorder_level) > 0 && storedQuantity(r.on_hand) <= storedQuantity(r.reorder_level),
      active: r.active === 1,
      suppliers: links
        .filter((l) => l.item_id === r.id)
        .map((l) => ({
          supplierId: l.supplier_id,
          supplierName: l.supplier_name,
          supplierSku: l.supplier_sku,
          supplierPrice: storedMoney(l.supplier_price),
          preferred: l.preferred === 1,
        })),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async list(query: ItemListQuery) {
    const { sort, order, page, pageSize, ...filter } = query;
    const { db, engine } = this.deps.database;
    const { rows, total } = await listItems(db, engine, filter, {
      sort,
      order,
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    return { items: await this.toItems(db, rows), total, page, pageSize };
  }

  async get(id: string, db: Tx = this.deps.database.db): Promise<Item> {
    const [row] = await getItems(db, [id]);
    if (!row) throw new NotFoundError('There is no item with that id.');
    const [item] = await this.toItems(db, [row]);
    return item as Item;
  }

  async movements(id: string, before: number | undefined, limit: number) {
    await this.get(id);
    const rows = await listMovements(this.deps.database.db, id, before, limit + 1);
    const items: Movement[] = rows.slice(0, limit).map((m) => ({
      id: Number(m.id),
      kind: m.kind,
      quantity: storedQuantity(m.quantity),
      before: storedQuantity(m.before),
      after: storedQuantity(m.after),
      reason: m.reason,
      reference: m.reference_type && m.reference_id ? { type: m.reference_type, id: m.reference_id } : null,
      actor: m.actor_user_id ? { id: m.actor_user_id, name: m.actor_name ?? '' } : null,
      at: m.created_at,
    }));
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  // --- writing ------------------------------------------------------------------------------------

  private async checkRefs(trx: Tx, categoryId: string | null | undefined, supplierIds: string[]): Promise<void> {
    if (categoryId) {
      const c = await trx
        .selectFrom('categories')
        .select(['id', 'archived_at'])
        .where('id', '=', categoryId)
        .executeTakeFirst();
      if (!c || c.archived_at) {
        throw new ValidationError('That category does not exist or is archived.', [
          { path: 'categoryId', message: 'Choose an existing category.' },
        ]);
      }
    }
    if (supplierIds.length > 0) {
      const found = await trx.selectFrom('suppliers').select('id').where('id', 'in', supplierIds).execute();
      if (found.length !== new Set(supplierIds).size) {
        throw new ValidationError('A supplier does not exist.', [
          { path: 'suppliers', message: 'Choose existing suppliers.' },
        ]);
      }
    }
  }

  private skuTaken(err: unknown): unknown {
    if (!isUniqueViolation(err)) return err;
    return new ValidationError('Another item already has this SKU.', [
      { path: 'sku', message: 'Another item already has this SKU.' },
    ]);
  }

  async create(actor: Actor, body: CreateItemBody, ctx: RequestContext): Promise<Item> {
    const id = randomUUID();
    const now = this.iso();
    const b = body as Required<CreateItemBody>;
    try {
      await transaction(this.deps.database.db, async (trx) => {
        const links = b.suppliers ?? [];
        await this.checkRefs(
          trx,
          b.categoryId,
          links.map((l) => l.supplierId),
        );
        await insertItem(
          trx,
          {
            id,
            sku: b.sku,
            name: b.name,
            description: b.description ?? '',
            category_id: b.categoryId ?? null,
            unit: b.unit ?? 'pcs',
            cost: b.cost ?? 0,
            price: b.price ?? 0,
            vat_rate_bp: b.vatRateBp ?? 0,
            price_includes_vat: b.priceIncludesVat === false ? 0 : 1,
            location: b.location ?? '',
            reorder_level: b.reorderLevel ?? 0,
            reorder_quantity: b.reorderQuantity ?? 0,
          },
          now,
        );
        await replaceSupplierLinks(
          trx,
          id,
          links.map((l) => ({
            supplierId: l.supplierId,
            supplierSku: l.supplierSku ?? '',
            supplierPrice: l.supplierPrice ?? 0,
            preferred: l.preferred ?? false,
          })),
        );
        if ((b.openingStock ?? 0) > 0) {
          await applyStockChange(trx, {
            itemId: id,
            delta: b.openingStock as number,
            kind: 'in',
            reason: 'Opening stock',
            reference: null,
            actorId: actor.user.id,
            allowNegative: true,
            now,
          });
        }
        await this.deps.audit.record(trx, {
          action: 'inventory.create',
          actor,
          target: { type: 'item', id },
          after: { ...body },
          context: ctx,
        });
      });
    } catch (err) {
      throw this.skuTaken(err);
    }
    return this.get(id);
  }

  async update(actor: Actor, id: string, body: UpdateItemBody, ctx: RequestContext): Promise<Item> {
    try {
      await transaction(this.deps.database.db, async (trx) => {
        const before = await this.get(id, trx);
        const b = body as Partial<Required<CreateItemBody>>;
        await this.checkRefs(
          trx,
          b.categoryId,
          (b.suppliers ?? []).map((l) => l.supplierId),
        );
        const patch: Partial<ItemsTable> = {};
        if (b.sku !== undefined) patch.sku = b.sku;
        if (b.name !== undefined) patch.name = b.name;
        if (b.description !== undefined) patch.description = b.description;
        if (b.categoryId !== undefined) patch.category_id = b.categoryId;
        if (b.unit !== undefined) patch.unit = b.unit;
        if (b.cost !== undefined) patch.cost = b.cost;
        if (b.price !== undefined) patch.price = b.price;
        if (b.vatRateBp !== undefined) patch.vat_rate_bp = b.vatRateBp;
        if (b.priceIncludesVat !== undefined) patch.price_includes_vat = b.priceIncludesVat ? 1 : 0;
        if (b.location !== undefined) patch.location = b.location;
        if (b.reorderLevel !== undefined) patch.reorder_level = b.reorderLevel;
        if (b.reorderQuantity !== undefined) patch.reorder_quantity = b.reorderQuantity;
        const next = {
          sku: patch.sku ?? before.sku,
          name: patch.name ?? before.name,
          location: patch.location ?? before.location,
        };
        await trx
          .updateTable('items')
          .set({ ...patch, search_text: searchTextOf(next), updated_at: this.iso() })
          .where('id', '=', id)
          .execute();
        if (b.suppliers !== undefined) {
          await replaceSupplierLinks(
            trx,
            id,
            b.suppliers.map((l) => ({
              supplierId: l.supplierId,
              supplierSku: l.supplierSku ?? '',
              supplierPrice: l.supplierPrice ?? 0,
              preferred: l.preferred ?? false,
            })),
          );
        }
        const changed = Object.keys(body) as (keyof Item)[];
        await this.deps.audit.record(trx, {
          action: 'inventory.update',
          actor,
          target: { type: 'item', id },
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: body,
          context: ctx,
        });
      });
    } catch (err) {
      throw this.skuTaken(err);
    }
    return this.get(id);
  }

  /** Archives (items with history are never erased) or restores an item. */
  async setActive(actor: Actor, id: string, active: boolean, ctx: RequestContext): Promise<Item> {
    await transaction(this.deps.database.db, async (trx) => {
      const before = await this.get(id, trx);
      if (before.active === active) {
        throw new ConflictError(active ? 'This item is already active.' : 'This item is already archived.');
      }
      await trx
        .updateTable('items')
        .set({ active: active ? 1 : 0, updated_at: this.iso() })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: active ? 'inventory.restore' : 'inventory.archive',
        actor,
        target: { type: 'item', id },
        before: { active: before.active },
        after: { active },
        context: ctx,
      });
    });
    return this.get(id);
  }

  /**
   * One stock change inside the caller's transaction: the ledger row, the new figure and (unless
   * the caller records one event for several changes) its audit event. The item is read inside
   * the transaction, so the figures checked are the figures changed.
   */
  async changeStock(
    tx: TxContext,
    itemId: string,
    change: {
      delta: number;
      kind: MovementKind;
      reason: string | null;
      reference: { type: string; id: string } | null;
    },
    opts: { audit: boolean } = { audit: true },
  ) {
    const { allowNegativeStock } = await this.settings(tx.db);
    const now = this.iso();
    const result = await applyStockChange(tx.db, {
      itemId,
      ...change,
      actorId: tx.actor.user.id,
      allowNegative: allowNegativeStock,
      now,
    });
    if (!result) {
      const item = await tx.db
        .selectFrom('items')
        .select(['on_hand', 'unit', 'name'])
        .where('id', '=', itemId)
        .executeTakeFirst();
      if (!item) throw new NotFoundError('There is no item with that id.');
      const next = Number(item.on_hand) + change.delta;
      if (Math.abs(next) > MAX_STOCK) {
        throw new ConflictError(
          `${item.name} would have ${next.toLocaleString('en')} ${item.unit} on hand; on hand is at most ${MAX_STOCK.toLocaleString('en')} either way.`,
        );
      }
      throw new ConflictError(
        `Only ${item.on_hand} ${item.unit} of ${item.name} in stock: that would take it below zero.`,
      );
    }
    if (opts.audit) {
      await this.deps.audit.record(tx, {
        action: 'inventory.stock',
        target: { type: 'item', id: itemId },
        before: { onHand: result.before },
        after: { onHand: result.after, kind: change.kind, quantity: change.delta, reference: change.reference },
        reason: change.reason,
      });
    }
    return { ...result, at: now };
  }

  async stock(actor: Actor, itemId: string, body: StockChangeBody, ctx: RequestContext) {
    const delta = body.kind === 'out' ? -body.quantity : body.quantity;
    const reason = body.reason?.trim() || null;
    const result = await inTransaction(contextFor(this.deps.database.db, actor, ctx), (tx) =>
      this.changeStock(tx, itemId, { delta, kind: body.kind, reason, reference: null }),
    );
    const movement: Movement = {
      id: result.movementId,
      kind: body.kind,
      quantity: delta,
      before: result.before,
      after: result.after,
      reason,
      reference: null,
      actor: { id: actor.user.id, name: actor.user.name },
      at: result.at,
    };
    return { item: await this.get(itemId), movement };
  }

  // --- bulk edit ---------------------------------------------------------------------------------

  /** One change for every item of a filtered set: one transaction, one audit event per changed item. */
  async bulkEdit(actor: Actor, body: BulkEditBody, ctx: RequestContext) {
    const { db, engine } = this.deps.database;
    const set = body.set;
    return transaction(db, async (trx) => {
      if (set.categoryId) await this.checkRefs(trx, set.categoryId, []);
      let q = filteredItems(trx, engine, body.filter ?? {}).selectAll('items');
      if (body.itemIds) q = q.where('items.id', 'in', body.itemIds.length > 0 ? body.itemIds : ['']);
      const rows = await q.execute();
      const now = this.iso();
      let changed = 0;
      for (const r of rows) {
        const patch: Partial<ItemsTable> = {};
        if (set.vatRateBp !== undefined && Number(r.vat_rate_bp) !== set.vatRateBp) patch.vat_rate_bp = set.vatRateBp;
        if (set.categoryId !== undefined && r.category_id !== set.categoryId) patch.category_id = set.categoryId;
        if (set.reorderLevel !== undefined && Number(r.reorder_level) !== set.reorderLevel)
          patch.reorder_level = set.reorderLevel;
        if (set.active !== undefined && (r.active === 1) !== set.active) patch.active = set.active ? 1 : 0;
        if (Object.keys(patch).length === 0) continue;
        await trx
          .updateTable('items')
          .set({ ...patch, updated_at: now })
          .where('id', '=', r.id)
          .execute();
        await this.deps.audit.record(trx, {
          action: 'inventory.bulk_edit',
          actor,
          target: { type: 'item', id: r.id },
          before: Object.fromEntries(Object.keys(patch).map((k) => [k, r[k as keyof typeof r]])),
          after: patch,
          context: ctx,
        });
        changed++;
      }
      return { matched: rows.length, changed };
    });
  }

  // --- export ---------------------------------------------------------------------------------------

  private async *exportRows(filter: Partial<ItemFilter>): AsyncGenerator<unknown[]> {
    const { db, engine } = this.deps.database;
    let after = '';
    for (;;) {
      // Keyset over the SKU, a page at a time: memory stays flat.
      const page = await filteredItems(db, engine, filter)
        .leftJoin('categories', 'categories.id', 'items.category_id')
        .selectAll('items')
        .select('categories.name as category_name')
        .where('items.sku', '>', after)
        .orderBy('items.sku')
        .limit(1000)
        .execute();
      for (const r of page) {
        yield [
          r.sku,
          r.name,
          r.description,
          r.category_name ?? '',
          r.unit,
          cents(Number(r.cost)),
          cents(Number(r.price)),
          (Number(r.vat_rate_bp) / 100).toString(),
          r.price_includes_vat === 1 ? 'yes' : 'no',
          r.location,
          Number(r.reorder_level),
          Number(r.reorder_quantity),
          Number(r.on_hand),
        ];
      }
      if (page.length < 1000) return;
      after = (page.at(-1) as ItemRow).sku;
    }
  }

  async export(
    actor: Actor,
    format: 'csv' | 'xlsx',
    filter: Partial<ItemFilter>,
    ctx: RequestContext,
  ): Promise<Readable | AsyncIterable<string>> {
    await transaction(this.deps.database.db, (trx) =>
      this.deps.audit.record(trx, {
        action: 'inventory.export',
        actor,
        target: { type: 'items', id: null },
        after: { format, filter },
        context: ctx,
      }),
    );
    const rows = this.exportRows(filter);
    return format === 'csv' ? csvLines(ITEM_COLUMNS, rows) : xlsxStream('Items', ITEM_COLUMNS, rows);
  }

  // --- import ---------------------------------------------------------------------------------------

  /**
   * Reads and checks every row; nothing is written. The file is read in a worker thread, by the
   * API's own item rules (import-rows.ts); here only what needs the database is checked.
   */
  private async analyse(data: Buffer) {
    const read = await readImport(data);
    if (read.columns.length === 0) {
      throw new ValidationError('The file is empty.', [{ path: 'file', message: 'The file has no rows.' }]);
    }
    const errors = [...read.errors];
    const { db } = this.deps.database;
    const categories = new Map(
      (await db.selectFrom('categories').select(['id', 'name']).where('archived_at', 'is', null).execute()).map((c) => [
        c.name.toLowerCase(),
        c.id,
      ]),
    );
    const existing = new Map<string, { id: string; onHand: number }>();
    const skus = read.rows.map((r) => r.sku).filter(Boolean);
    for (let i = 0; i < skus.length; i += 500) {
      const found = await db
        .selectFrom('items')
        .select(['id', 'sku', 'on_hand'])
        .where('sku', 'in', skus.slice(i, i + 500))
        .execute();
      for (const f of found) existing.set(f.sku, { id: f.id, onHand: Number(f.on_hand) });
      await yieldToLoop();
    }
    const rows = read.rows.map((r) => {
      const bad = (column: string, message: string) => errors.push({ row: r.rowNo, column, message });
      const current = existing.get(r.sku);
      const id = current?.id ?? null;
      const f = r.fields;
      const values: Partial<ItemsTable> = { sku: r.sku, name: f.name ?? '' };
      if (f.description !== undefined) values.description = f.description;
      if (f.unit !== undefined) values.unit = f.unit;
      if (f.cost !== undefined) values.cost = f.cost;
      if (f.price !== undefined) values.price = f.price;
      if (f.vatRateBp !== undefined) values.vat_rate_bp = f.vatRateBp;
      if (f.priceIncludesVat !== undefined) values.price_includes_vat = f.priceIncludesVat ? 1 : 0;
      if (f.location !== undefined) values.location = f.location;
      if (f.reorderLevel !== undefined) values.reorder_level = f.reorderLevel;
      if (f.reorderQuantity !== undefined) values.reorder_quantity = f.reorderQuantity;
      if (r.category !== null) {
        const category = categories.get(r.category.toLowerCase());
        if (!category)
          bad('category', `No category is named "${r.category}". Create it first, or leave the cell empty.`);
        values.category_id = category ?? null;
      }
      let openingStock = 0;
      if (r.onHand !== null && !id) {
        // A new item's on-hand is its opening stock: the API's rule for it applies.
        const checked = ItemImportRow.shape.openingStock.safeParse(r.onHand);
        if (!checked.success) for (const issue of checked.error.issues) bad('on_hand', issue.message);
        else openingStock = checked.data ?? 0;
      }
      // Existing items: on-hand may only repeat the current figure (a stock change needs a reason).
      if (current && r.onHand !== null && r.onHand !== current.onHand) {
        bad(
          'on_hand',
          `On hand is ${current.onHand} in Steward; change stock with a stock movement (it needs a reason), or leave the cell as it is.`,
        );
      }
      return { rowNo: r.rowNo, id, values, openingStock };
    });
    const order = new Map(read.columns.map((c, i) => [c, i] as const));
    errors.sort((x, y) => x.row - y.row || (order.get(x.column) ?? 999) - (order.get(y.column) ?? 999));
    return { columns: read.columns, rows, errors, sample: read.sample };
  }

  async previewImport(data: Buffer): Promise<ImportPreview> {
    const a = await this.analyse(data);
    return {
      rows: a.rows.length,
      creates: a.rows.filter((r) => !r.id).length,
      updates: a.rows.filter((r) => r.id).length,
      errors: a.errors.slice(0, 500),
      columns: a.columns,
      sample: a.sample.map((r) => Object.fromEntries(a.columns.map((c, i) => [c, r[i] ?? '']))),
    };
  }

  /**
   * Writes the rows when none has a problem (every row is checked before anything is written).
   * The rows are written a slice of time (IMPORT_SLICE_MS) at a time, one transaction each, with a
   * turn of the event loop between: a 50,000-row import never holds the database's writer or the event loop for more than a chunk, so other requests keep being answered. Should a chunk fail
   * (someone created the same SKU meanwhile), the rows before it stay imported and the answer
   * says so; importing the same file again finishes the job (imported rows become updates).
   */
  async import(actor: Actor, data: Buffer, filename: string, ctx: RequestContext) {
    const { db } = this.deps.database;
    const a = await this.analyse(data);
    if (a.errors.length > 0) {
      throw new ValidationError(
        `${a.errors.length} problem${a.errors.length === 1 ? '' : 's'} in the file; nothing was imported.`,
        a.errors.slice(0, 200).map((e) => ({ path: `row ${e.row}, ${e.column}`, message: e.message })),
      );
    }
    const now = this.iso();
    let created = 0;
    let updated = 0;
    let start = 0;
    let turn = performance.now();
    while (start < a.rows.length) {
      const first = a.rows[start]?.rowNo ?? 0;
      try {
        start = await transaction(db, async (trx) => {
          // As many rows as fit in a slice of time (at least one): each transaction holds the
          // writer for about IMPORT_SLICE_MS. Between rows the event loop takes a turn, so reads
          // (on SQLite, served by the reader connection beside the writer) are answered meanwhile.
          const began = performance.now();
          let next = start;
          do {
            if (next > start && performance.now() - turn > LOOP_TURN_MS) {
              await yieldToLoop();
              turn = performance.now();
            }
            if ((await this.importRow(trx, actor, a.rows[next] as ImportRow, filename, now, ctx)) === 'created')
              created++;
            else updated++;
            next++;
          } while (next < a.rows.length && performance.now() - began < IMPORT_SLICE_MS);
          return next;
        });
      } catch (err) {
        if (first <= 2) throw this.skuTaken(err);
        throw new ConflictError(
          `Rows 2–${first - 1} were imported; the import stopped at row ${first} or soon after (${
            isUniqueViolation(err) ? 'an item with one of its SKUs was created meanwhile' : 'it could not be written'
          }). Import the same file again to finish: imported rows are then updates.`,
        );
      }
      await yieldToLoop();
    }
    return { created, updated };
  }

  /** Writes one checked row of an import: an update of the item with its SKU, or a new item. */
  private async importRow(
    trx: Transaction<DB>,
    actor: Actor,
    r: ImportRow,
    filename: string,
    now: string,
    ctx: RequestContext,
  ): Promise<'created' | 'updated'> {
    const { values, openingStock: onHand } = r;
    if (r.id) {
      const before = await trx.selectFrom('items').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow();
      const next = { ...before, ...values } as ItemsTable;
      await trx
        .updateTable('items')
        .set({ ...(values as Partial<ItemsTable>), search_text: searchTextOf(next), updated_at: now })
        .where('id', '=', r.id)
        .execute();
      await this.deps.audit.record(trx, {
        action: 'inventory.import',
        actor,
        target: { type: 'item', id: r.id },
        before: Object.fromEntries(Object.keys(values).map((k) => [k, before[k as keyof ItemsTable]])),
        after: values,
        context: ctx,
      });
      return 'updated';
    } else {
      const id = randomUUID();
      await insertItem(
        trx,
        { ...(values as Partial<ItemsTable>), id, sku: values.sku as string, name: values.name as string },
        now,
      );
      if (onHand) {
        await applyStockChange(trx, {
          itemId: id,
          delta: onHand,
          kind: 'import',
          reason: `Imported from ${filename}`,
          reference: null,
          actorId: actor.user.id,
          allowNegative: true,
          now,
        });
      }
      await this.deps.audit.record(trx, {
        action: 'inventory.import',
        actor,
        target: { type: 'item', id },
        after: { ...values, on_hand: onHand ?? 0, file: filename },
        context: ctx,
      });
      return 'created';
    }
  }
}

type ImportRow = Awaited<ReturnType<ItemsService['analyse']>>['rows'][number];

/** About how long one transaction of an import writes rows before it commits and lets others in. */
const IMPORT_SLICE_MS = 40;
/** Longest the import keeps the event loop to itself between turns. */
const LOOP_TURN_MS = 4;

/** Lets the event loop run timers and I/O (SQLite's driver is synchronous: awaits alone never yield). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
