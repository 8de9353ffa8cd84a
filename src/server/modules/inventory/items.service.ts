import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { grouped, MAX_STOCK, storedQuantity } from '../../../shared/contracts/bounds.ts';
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
import { quantity } from '../../../shared/quantities.ts';
import { type Engine, isUniqueViolation } from '../../db/dialect.ts';
import type { ItemsTable, MovementKind } from '../../db/schema.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import { readImport } from '../../lib/import-reader.ts';
import { csvLines, xlsxStream } from '../../lib/spreadsheet.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, type Db, inTransaction, type TxContext } from '../context.ts';
import { getSetting, putSetting } from '../settings/settings.service.ts';
import { ITEM_COLUMNS } from './import-rows.ts';
import type { ItemPatch, ItemRow } from './inventory.repository.ts';
import * as repo from './inventory.repository.ts';
import { dataVersion, itemVersions } from './item-counts.repository.ts';
import { itemsOf, type SupplierLinkRow } from './item-view.ts';

type Deps = { engine: Engine; audit: AuditService; now: () => number };

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

  async settings(ctx: Context): Promise<InventorySettings> {
    return { ...DEFAULT_INVENTORY, ...(await getSetting<Partial<InventorySettings>>(ctx.db, INVENTORY_SETTING)) };
  }

  async saveSettings(ctx: Context, next: InventorySettings): Promise<InventorySettings> {
    return inTransaction(ctx, async (tx) => {
      await repo.lockSettings(tx.db, this.deps.engine);
      const before = await this.settings(tx);
      await putSetting(tx.db, INVENTORY_SETTING, next, this.iso());
      await this.deps.audit.record(tx, {
        action: 'settings.inventory',
        target: { type: 'settings', id: 'inventory' },
        before,
        after: next,
      });
      return next;
    });
  }

  // --- reading ------------------------------------------------------------------------------------

  private async toItems(db: Db, rows: ItemRow[]): Promise<Item[]> {
    const links = await repo.supplierLinks(
      db,
      rows.map((r) => r.id),
    );
    return itemsOf(rows, links);
  }

  /**
   * The version every change to items, their supplier links, categories and suppliers moves (kept
   * by triggers in the writing transaction): the ETag of the list and of each item.
   */
  version(ctx: Context): Promise<number> {
    return dataVersion(ctx.db, 'items');
  }

  /** The `items` version (the list's ETag) and the item-count version, in one read. */
  versions(ctx: Context): Promise<{ items: number; itemCounts: number }> {
    return itemVersions(ctx.db);
  }

  /** A page of items; `countsVersion` is the item-count version read with the ETag (versions). */
  async list(ctx: Context, query: ItemListQuery, countsVersion?: number) {
    const { sort, order, page, pageSize, ...filter } = query;
    const paging = { sort, order, offset: (page - 1) * pageSize, limit: pageSize };
    const { rows, total } = await repo.listItems(ctx.db, this.deps.engine, filter, paging, countsVersion);
    return { items: await this.toItems(ctx.db, rows), total, page, pageSize };
  }

  async get(ctx: Context, id: string): Promise<Item> {
    const [row] = await repo.getItems(ctx.db, [id]);
    if (!row) throw new NotFoundError('There is no item with that id.');
    const [item] = await this.toItems(ctx.db, [row]);
    return item as Item;
  }

  async movements(ctx: Context, id: string, before: number | undefined, limit: number) {
    await this.get(ctx, id);
    const rows = await repo.listMovements(ctx.db, id, before, limit + 1);
    const items: Movement[] = rows.slice(0, limit).map((m) => ({
      id: Number(m.id),
      kind: m.kind,
      quantity: storedQuantity(m.quantity),
      before: storedQuantity(m.before),
      after: storedQuantity(m.after),
      reason: m.reason,
      reference: m.reference_type && m.reference_id ? { type: m.reference_type, id: m.reference_id } : null,
      actor: m.actor_user_id ? { id: m.actor_user_id, name: m.actor_name ?? '' } : null,
      elevated: m.elevated === 1,
      at: m.created_at,
    }));
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  // --- writing ------------------------------------------------------------------------------------

  /** The item, locked until the transaction ends (404 when there is none). */
  private async locked(tx: TxContext, id: string): Promise<Item> {
    await repo.lockItem(tx.db, this.deps.engine, id);
    return this.get(tx, id);
  }

  /** The category (when given) exists and is active; every supplier exists. */
  private async checkRefs(tx: TxContext, categoryId: string | null | undefined, supplierIds: string[]): Promise<void> {
    if (categoryId) {
      if (!(await repo.categoryIsActive(tx.db, categoryId))) {
        throw new ValidationError('That category does not exist or is archived.', [
          { path: 'categoryId', message: 'Choose an existing category.' },
        ]);
      }
    }
    if (supplierIds.length > 0) {
      if ((await repo.countSuppliers(tx.db, supplierIds)) !== new Set(supplierIds).size) {
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

  async create(ctx: Context, body: CreateItemBody): Promise<Item> {
    const id = randomUUID();
    const now = this.iso();
    const b = body as Required<CreateItemBody>;
    try {
      return await inTransaction(ctx, async (tx) => {
        const links = b.suppliers ?? [];
        await this.checkRefs(
          tx,
          b.categoryId,
          links.map((l) => l.supplierId),
        );
        await repo.insertItem(
          tx.db,
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
        await repo.replaceSupplierLinks(
          tx.db,
          id,
          links.map((l) => ({
            supplierId: l.supplierId,
            supplierSku: l.supplierSku ?? '',
            supplierPrice: l.supplierPrice ?? 0,
            preferred: l.preferred ?? false,
          })),
        );
        if ((b.openingStock ?? 0) > 0) {
          await repo.applyStockChange(tx.db, {
            itemId: id,
            delta: b.openingStock as number,
            kind: 'in',
            reason: 'Opening stock',
            reference: null,
            actorId: tx.actor.user.id,
            elevated: tx.actor.elevated,
            allowNegative: true,
            now,
          });
        }
        await this.deps.audit.record(tx, {
          action: 'inventory.create',
          target: { type: 'item', id },
          after: { ...body },
        });
        return this.get(tx, id);
      });
    } catch (err) {
      throw this.skuTaken(err);
    }
  }

  async update(ctx: Context, id: string, body: UpdateItemBody): Promise<Item> {
    try {
      return await inTransaction(ctx, async (tx) => {
        const before = await this.locked(tx, id);
        const b = body as Partial<Required<CreateItemBody>>;
        await this.checkRefs(
          tx,
          b.categoryId,
          (b.suppliers ?? []).map((l) => l.supplierId),
        );
        const patch: ItemPatch = {};
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
        await repo.updateItem(tx.db, id, { ...patch, search_text: repo.searchTextOf(next) }, this.iso());
        if (b.suppliers !== undefined) {
          await repo.replaceSupplierLinks(
            tx.db,
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
        await this.deps.audit.record(tx, {
          action: 'inventory.update',
          target: { type: 'item', id },
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: body,
        });
        return this.get(tx, id);
      });
    } catch (err) {
      throw this.skuTaken(err);
    }
  }

  /** Archives (items with history are never erased) or restores an item. */
  async setActive(ctx: Context, id: string, active: boolean): Promise<Item> {
    return inTransaction(ctx, async (tx) => {
      const before = await this.locked(tx, id);
      if (before.active === active) {
        throw new ConflictError(active ? 'This item is already active.' : 'This item is already archived.');
      }
      await repo.updateItem(tx.db, id, { active: active ? 1 : 0 }, this.iso());
      await this.deps.audit.record(tx, {
        action: active ? 'inventory.restore' : 'inventory.archive',
        target: { type: 'item', id },
        before: { active: before.active },
        after: { active },
      });
      return this.get(tx, id);
    });
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
    const { allowNegativeStock } = await this.settings(tx);
    const now = this.iso();
    const result = await repo.applyStockChange(tx.db, {
      itemId,
      ...change,
      actorId: tx.actor.user.id,
      elevated: tx.actor.elevated,
      allowNegative: allowNegativeStock,
      now,
    });
    if (!result) {
      // Refused by the update's own condition: read why, in the same transaction.
      const item = await repo.itemRow(tx.db, itemId);
      if (!item) throw new NotFoundError('There is no item with that id.');
      const next = Number(item.on_hand) + change.delta;
      if (Math.abs(next) > MAX_STOCK) {
        throw new ConflictError(
          `${item.name} would have ${quantity(next, item.unit)} on hand; on hand is at most ${grouped(MAX_STOCK)} either way.`,
        );
      }
      throw new ConflictError(
        `Only ${quantity(item.on_hand, item.unit)} of ${item.name} in stock: that would take it below zero.`,
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

  async stock(ctx: Context, itemId: string, body: StockChangeBody) {
    const delta = body.kind === 'out' ? -body.quantity : body.quantity;
    const reason = body.reason?.trim() || null;
    return inTransaction(ctx, async (tx) => {
      const result = await this.changeStock(tx, itemId, { delta, kind: body.kind, reason, reference: null });
      const movement: Movement = {
        id: result.movementId,
        kind: body.kind,
        quantity: delta,
        before: result.before,
        after: result.after,
        reason,
        reference: null,
        actor: { id: tx.actor.user.id, name: tx.actor.user.name },
        elevated: tx.actor.elevated,
        at: result.at,
      };
      return { item: await this.get(tx, itemId), movement };
    });
  }

  // --- bulk edit ---------------------------------------------------------------------------------

  /** One change for every item of a filtered set: one transaction, one audit event per changed item. */
  async bulkEdit(ctx: Context, body: BulkEditBody) {
    const set = body.set;
    return inTransaction(ctx, async (tx) => {
      if (set.categoryId) await this.checkRefs(tx, set.categoryId, []);
      let supplier: PreferredSupplier | null = null;
      if (set.preferredSupplierId) {
        const found = await repo.activeSupplier(tx.db, set.preferredSupplierId);
        if (!found) {
          throw new ValidationError('That supplier does not exist or is archived.', [
            { path: 'set.preferredSupplierId', message: 'Choose an active supplier.' },
          ]);
        }
        supplier = { ...found, sku: undefined, price: undefined };
      }
      const rows = await repo.matchingItems(tx.db, this.deps.engine, body.filter ?? {}, body.itemIds);
      const now = this.iso();
      let changed = 0;
      for (const r of rows) {
        const patch: ItemPatch = {};
        if (set.vatRateBp !== undefined && Number(r.vat_rate_bp) !== set.vatRateBp) patch.vat_rate_bp = set.vatRateBp;
        if (set.categoryId !== undefined && r.category_id !== set.categoryId) patch.category_id = set.categoryId;
        if (set.reorderLevel !== undefined && Number(r.reorder_level) !== set.reorderLevel)
          patch.reorder_level = set.reorderLevel;
        if (set.active !== undefined && (r.active === 1) !== set.active) patch.active = set.active ? 1 : 0;
        const link = set.preferredSupplierId !== undefined ? await this.setPreferredSupplier(tx, r.id, supplier) : null;
        if (Object.keys(patch).length === 0 && !link) continue;
        await repo.updateItem(tx.db, r.id, patch, now);
        await this.deps.audit.record(tx, {
          action: 'inventory.bulk_edit',
          target: { type: 'item', id: r.id },
          before: {
            ...Object.fromEntries(Object.keys(patch).map((k) => [k, r[k as keyof typeof r]])),
            ...(link ? { preferredSupplier: link.before } : {}),
          },
          after: { ...patch, ...(link ? { preferredSupplier: link.after } : {}) },
        });
        changed++;
      }
      return { matched: rows.length, changed };
    });
  }

  // --- export ---------------------------------------------------------------------------------------

  private async *exportRows(db: Db, filter: Partial<ItemFilter>): AsyncGenerator<unknown[]> {
    let after = '';
    for (;;) {
      // Keyset over the SKU, a page at a time: memory stays flat.
      const page = await repo.exportPage(db, this.deps.engine, filter, after, 1000);
      // Each item's preferred supplier (the first by name, should several be marked preferred).
      const preferred = new Map<string, SupplierLinkRow>();
      for (const l of await repo.supplierLinks(
        db,
        page.map((r) => r.id),
      )) {
        if (l.preferred === 1 && !preferred.has(l.item_id)) preferred.set(l.item_id, l);
      }
      for (const r of page) {
        const link = preferred.get(r.id);
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
          link?.supplier_name ?? '',
          link?.supplier_sku ?? '',
          link ? cents(Number(link.supplier_price)) : '',
        ];
      }
      if (page.length < 1000) return;
      after = (page.at(-1) as ItemRow).sku;
    }
  }

  /**
   * The filtered items as a stream of CSV lines or an XLSX file, read a page at a time as the
   * stream is consumed (so on `ctx.db`, never inside a transaction that would end first).
   */
  async export(
    ctx: Context,
    format: 'csv' | 'xlsx',
    filter: Partial<ItemFilter>,
  ): Promise<Readable | AsyncIterable<string>> {
    await inTransaction(ctx, (tx) =>
      this.deps.audit.record(tx, {
        action: 'inventory.export',
        target: { type: 'items', id: null },
        after: { format, filter },
      }),
    );
    const rows = this.exportRows(ctx.db, filter);
    return format === 'csv' ? csvLines(ITEM_COLUMNS, rows) : xlsxStream('Items', ITEM_COLUMNS, rows);
  }

  // --- import ---------------------------------------------------------------------------------------

  /**
   * Reads and checks every row; nothing is written. The file is read in a worker thread, by the
   * API's own item rules (import-rows.ts); here only what needs the database is checked.
   */
  private async analyse(ctx: Context, data: Buffer) {
    const read = await readImport(data);
    if (read.columns.length === 0) {
      throw new ValidationError('The file is empty.', [{ path: 'file', message: 'The file has no rows.' }]);
    }
    const errors = [...read.errors];
    const categories = new Map((await repo.activeCategories(ctx.db)).map((c) => [c.name.toLowerCase(), c.id]));
    const suppliers = supplierFinder(await repo.supplierNames(ctx.db));
    const existing = new Map<string, { id: string; onHand: number }>();
    const skus = read.rows.map((r) => r.sku).filter(Boolean);
    for (let i = 0; i < skus.length; i += 500) {
      const found = await repo.itemsBySku(ctx.db, skus.slice(i, i + 500));
      for (const f of found) existing.set(f.sku, { id: f.id, onHand: Number(f.on_hand) });
      await yieldToLoop();
    }
    const rows = read.rows.map((r) => {
      const bad = (column: string, message: string) => errors.push({ row: r.rowNo, column, message });
      const current = existing.get(r.sku);
      const id = current?.id ?? null;
      const f = r.fields;
      const values: ItemPatch = { sku: r.sku, name: f.name ?? '' };
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
      let supplier: PreferredSupplier | null = null;
      if (r.supplier !== null) {
        const found = suppliers(r.supplier);
        if (!found) {
          bad(
            'supplier',
            `No supplier is named "${r.supplier}". Add it under Suppliers first, or leave the cell empty.`,
          );
        } else if (found.archived_at !== null) {
          bad('supplier', `The supplier "${found.name}" is archived. Restore it first, or leave the cell empty.`);
        } else {
          supplier = { id: found.id, name: found.name, sku: f.supplierSku, price: f.supplierPrice };
        }
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
      // The figure an existing item's row repeats: checked again when the row is written.
      const onHand = current && r.onHand !== null ? r.onHand : null;
      return { rowNo: r.rowNo, id, values, openingStock, onHand, supplier };
    });
    const order = new Map(read.columns.map((c, i) => [c, i] as const));
    errors.sort((x, y) => x.row - y.row || (order.get(x.column) ?? 999) - (order.get(y.column) ?? 999));
    return { columns: read.columns, rows, errors, sample: read.sample };
  }

  async previewImport(ctx: Context, data: Buffer): Promise<ImportPreview> {
    const a = await this.analyse(ctx, data);
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
   * turn of the event loop between: a 50,000-row import never holds the database's writer or the
   * event loop for more than a chunk, so other requests keep being answered. Should a chunk fail
   * (someone created the same SKU meanwhile, or moved the stock of an item whose on-hand the file
   * repeats), the rows before it stay imported and the answer says so; importing the same file
   * again finishes the job (imported rows become updates).
   */
  async import(ctx: Context, data: Buffer, filename: string) {
    const a = await this.analyse(ctx, data);
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
        start = await inTransaction(ctx, async (tx) => {
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
            if ((await this.importRow(tx, a.rows[next] as ImportRow, filename, now)) === 'created') created++;
            else updated++;
            next++;
          } while (next < a.rows.length && performance.now() - began < IMPORT_SLICE_MS);
          return next;
        });
      } catch (err) {
        if (err instanceof StockMovedError) {
          throw new ConflictError(
            `${first <= 2 ? 'Nothing was imported' : `Rows 2–${first - 1} were imported`}; the import stopped at row ${err.rowNo}: ${err.message} Change that cell, then import the same file again: imported rows are then updates.`,
          );
        }
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

  /**
   * Writes one checked row of an import: an update of the item with its SKU, or a new item. A row
   * that repeats an existing item's on-hand figure is written only while the figure is still that:
   * it was checked when the file was read, before this transaction, and a stock movement may have
   * been booked since.
   */
  private async importRow(tx: TxContext, r: ImportRow, filename: string, now: string): Promise<'created' | 'updated'> {
    const { values, openingStock } = r;
    if (r.id) {
      await repo.lockItem(tx.db, this.deps.engine, r.id);
      const before = await repo.itemRow(tx.db, r.id);
      if (!before) throw new NotFoundError('There is no item with that id.');
      const next = { ...before, ...values };
      const written = await repo.updateItem(
        tx.db,
        r.id,
        { ...values, search_text: repo.searchTextOf(next) },
        now,
        r.onHand ?? undefined,
      );
      if (!written) {
        throw new StockMovedError(
          r.rowNo,
          `${before.sku} has ${Number(before.on_hand)} on hand now, not ${r.onHand} as in the file (stock moved after the file was checked).`,
        );
      }
      const link = r.supplier ? await this.setPreferredSupplier(tx, r.id, r.supplier) : null;
      await this.deps.audit.record(tx, {
        action: 'inventory.import',
        target: { type: 'item', id: r.id },
        before: {
          ...Object.fromEntries(Object.keys(values).map((k) => [k, before[k as keyof ItemsTable]])),
          ...(link ? { preferredSupplier: link.before } : {}),
        },
        after: { ...values, ...(link ? { preferredSupplier: link.after } : {}) },
      });
      return 'updated';
    }
    const id = randomUUID();
    await repo.insertItem(tx.db, { ...values, id, sku: values.sku as string, name: values.name as string }, now);
    if (openingStock) {
      await repo.applyStockChange(tx.db, {
        itemId: id,
        delta: openingStock,
        kind: 'import',
        reason: `Imported from ${filename}`,
        reference: null,
        actorId: tx.actor.user.id,
        elevated: tx.actor.elevated,
        allowNegative: true,
        now,
      });
    }
    const link = r.supplier ? await this.setPreferredSupplier(tx, id, r.supplier) : null;
    await this.deps.audit.record(tx, {
      action: 'inventory.import',
      target: { type: 'item', id },
      after: {
        ...values,
        on_hand: openingStock ?? 0,
        ...(link ? { preferredSupplier: link.after } : {}),
        file: filename,
      },
    });
    return 'created';
  }

  /**
   * Makes `supplier` the item's preferred supplier (null: none): its link is added (or kept), with
   * the SKU and price given (what is not given stays as the link had it: empty and 0 for a new
   * link); the other links stay, no longer preferred. Returns the preferred link before and after,
   * or null when nothing changed.
   */
  private async setPreferredSupplier(tx: TxContext, itemId: string, supplier: PreferredSupplier | null) {
    const links = await repo.supplierLinks(tx.db, [itemId]);
    const shown = (l: { supplierId: string; supplierName: string; supplierSku: string; supplierPrice: number }) => ({
      supplierId: l.supplierId,
      supplierName: l.supplierName,
      supplierSku: l.supplierSku,
      supplierPrice: l.supplierPrice,
    });
    const current = links.map((l) => ({
      supplierId: l.supplier_id,
      supplierName: l.supplier_name,
      supplierSku: l.supplier_sku,
      supplierPrice: Number(l.supplier_price),
      preferred: l.preferred === 1,
    }));
    const next = current.map((l) => ({ ...l, preferred: l.supplierId === supplier?.id }));
    let chosen = next.find((l) => l.supplierId === supplier?.id);
    if (supplier && !chosen) {
      chosen = {
        supplierId: supplier.id,
        supplierName: supplier.name,
        supplierSku: '',
        supplierPrice: 0,
        preferred: true,
      };
      next.push(chosen);
    }
    if (chosen && supplier) {
      chosen.supplierSku = supplier.sku ?? chosen.supplierSku;
      chosen.supplierPrice = supplier.price ?? chosen.supplierPrice;
    }
    const same = (a: (typeof next)[number], b: (typeof next)[number] | undefined) =>
      b !== undefined &&
      a.preferred === b.preferred &&
      a.supplierSku === b.supplierSku &&
      a.supplierPrice === b.supplierPrice;
    if (
      next.length === current.length &&
      next.every((l) =>
        same(
          l,
          current.find((c) => c.supplierId === l.supplierId),
        ),
      )
    )
      return null;
    await repo.replaceSupplierLinks(tx.db, itemId, next);
    const was = current.find((l) => l.preferred);
    return { before: was ? shown(was) : null, after: chosen ? shown(chosen) : null };
  }
}

/** An import row's item had its stock moved between the check of the file and the row's write. */
class StockMovedError extends ConflictError {
  readonly rowNo: number;
  constructor(rowNo: number, detail: string) {
    super(detail);
    this.rowNo = rowNo;
  }
}

type ImportRow = Awaited<ReturnType<ItemsService['analyse']>>['rows'][number];

/** The supplier an import row names, with the supplier SKU and price its cells give (if any). */
type PreferredSupplier = { id: string; name: string; sku: string | undefined; price: number | undefined };

/**
 * Finds a supplier by the name a file gives: the exact name first, else the one name that matches
 * ignoring case and surrounding spaces (none when two do).
 */
function supplierFinder<S extends { name: string }>(all: readonly S[]): (name: string) => S | undefined {
  const exact = new Map(all.map((s) => [s.name, s] as const));
  const folded = new Map<string, S | null>();
  for (const s of all) {
    const key = s.name.trim().toLowerCase();
    folded.set(key, folded.has(key) ? null : s);
  }
  return (name) => exact.get(name) ?? folded.get(name.trim().toLowerCase()) ?? undefined;
}

/** About how long one transaction of an import writes rows before it commits and lets others in. */
const IMPORT_SLICE_MS = 40;
/** Longest the import keeps the event loop to itself between turns. */
const LOOP_TURN_MS = 4;

/** Lets the event loop run timers and I/O (SQLite's driver is synchronous: awaits alone never yield). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
