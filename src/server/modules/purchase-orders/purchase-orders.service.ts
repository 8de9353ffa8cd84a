import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_MONEY_MINOR, MAX_QUANTITY, storedMoney, storedQuantity } from '../../../shared/contracts/bounds.ts';
import {
  isReceivable,
  OPEN_ORDER_STATUSES,
  type PurchaseOrder,
  type PurchaseOrderBody,
  purchaseOrderReference,
  type ReceiveBody,
  type SupplySuggestions,
} from '../../../shared/contracts/inventory.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import { lockChain, lockRow } from '../../db/dialect.ts';
import type { PurchaseOrderStatus } from '../../db/schema.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, HttpError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ItemsService } from '../inventory/items.service.ts';

type Deps = { database: Database; audit: AuditService; items: ItemsService; dataDir: string; now: () => number };

const NUMBER_LOCK = 0x5354_504f; // "STPO"
export const INVOICE_MAX_BYTES = 10 * 1024 * 1024;
/** The smallest file that can be a PDF: a header, a body and the end-of-file marker. */
const INVOICE_MIN_BYTES = 14;

/**
 * Why `data` is not a PDF, or null when it looks like one: it must start with the `%PDF-1.x`/`2.x`
 * header and end with an `%%EOF` marker in its last 1 KB (PDF 32000-1 §7.5.2, §7.5.5). A file that
 * is HTML, script or an image with a PDF header pasted on top fails the trailer check.
 */
export function pdfProblem(data: Buffer): string | null {
  if (data.length < INVOICE_MIN_BYTES) return 'too small';
  if (data.length > INVOICE_MAX_BYTES) return 'too large';
  if (!/^%PDF-[12]\.\d/.test(data.subarray(0, 8).toString('latin1'))) return 'no PDF header';
  if (!data.subarray(Math.max(0, data.length - 1024)).includes('%%EOF', 0, 'latin1')) return 'no end-of-file marker';
  return null;
}
const reference = purchaseOrderReference;

/** Purchase orders: draft → ordered → partially received → received, or cancelled. */
export class PurchaseOrdersService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private invoicePath(id: string): string {
    return path.join(this.deps.dataDir, 'invoices', `${id}.pdf`);
  }

  async list(status: PurchaseOrderStatus | 'open' | 'all'): Promise<PurchaseOrder[]> {
    let q = this.deps.database.db.selectFrom('purchase_orders').select('id');
    if (status === 'open') q = q.where('status', 'in', OPEN_ORDER_STATUSES);
    else if (status !== 'all') q = q.where('status', '=', status);
    const ids = (await q.orderBy('number', 'desc').limit(500).execute()).map((r) => r.id);
    return this.load(this.deps.database.db, ids);
  }

  private async load(db: Tx, ids: string[]): Promise<PurchaseOrder[]> {
    if (ids.length === 0) return [];
    const orders = await db
      .selectFrom('purchase_orders')
      .innerJoin('suppliers', 'suppliers.id', 'purchase_orders.supplier_id')
      .selectAll('purchase_orders')
      .select('suppliers.name as supplier_name')
      .where('purchase_orders.id', 'in', ids)
      .orderBy('purchase_orders.number', 'desc')
      .execute();
    const lines = await db
      .selectFrom('purchase_order_lines')
      .innerJoin('items', 'items.id', 'purchase_order_lines.item_id')
      .selectAll('purchase_order_lines')
      .select(['items.sku', 'items.name', 'items.unit'])
      .where('purchase_order_lines.order_id', 'in', ids)
      .orderBy('purchase_order_lines.id')
      .execute();
    return orders.map((o) => {
      const mine = lines
        .filter((l) => l.order_id === o.id)
        .map((l) => ({
          id: Number(l.id),
          itemId: l.item_id,
          sku: l.sku,
          name: l.name,
          unit: l.unit,
          quantity: storedQuantity(l.quantity),
          received: storedQuantity(l.received),
          unitCost: storedMoney(l.unit_cost),
        }));
      return {
        id: o.id,
        number: Number(o.number),
        reference: reference(Number(o.number)),
        supplier: { id: o.supplier_id, name: o.supplier_name },
        status: o.status,
        notes: o.notes,
        expectedAt: o.expected_at,
        orderedAt: o.ordered_at,
        closedAt: o.closed_at,
        // Bounded by the schema when written; a stored row past the bounds reads as the limit, never a 500.
        total: Math.min(
          MAX_MONEY_MINOR,
          mine.reduce((sum, l) => sum + Math.min(MAX_MONEY_MINOR, l.quantity * l.unitCost), 0),
        ),
        invoice:
          o.invoice_name && o.invoice_uploaded_at
            ? { name: o.invoice_name, size: storedQuantity(o.invoice_size ?? 0), uploadedAt: o.invoice_uploaded_at }
            : null,
        lines: mine,
        createdAt: o.created_at,
      };
    });
  }

  async get(id: string, db: Tx = this.deps.database.db): Promise<PurchaseOrder> {
    const [order] = await this.load(db, [id]);
    if (!order) throw new NotFoundError('There is no purchase order with that id.');
    return order;
  }

  private async checkLines(trx: Tx, body: PurchaseOrderBody): Promise<void> {
    const supplier = await trx
      .selectFrom('suppliers')
      .select(['archived_at'])
      .where('id', '=', body.supplierId)
      .executeTakeFirst();
    if (!supplier || supplier.archived_at) {
      throw new ValidationError('Choose an active supplier.', [
        { path: 'supplierId', message: 'Choose an active supplier.' },
      ]);
    }
    const ids = [...new Set(body.lines.map((l) => l.itemId))];
    if (ids.length !== body.lines.length) {
      throw new ValidationError('An item appears on two lines; put it on one line.', [
        { path: 'lines', message: 'Each item once.' },
      ]);
    }
    const found = await trx.selectFrom('items').select('id').where('id', 'in', ids).where('active', '=', 1).execute();
    if (found.length !== ids.length) {
      throw new ValidationError('A line names an item that does not exist or is archived.', [
        { path: 'lines', message: 'Choose active items.' },
      ]);
    }
  }

  private async writeLines(trx: Tx, orderId: string, body: PurchaseOrderBody): Promise<void> {
    await trx.deleteFrom('purchase_order_lines').where('order_id', '=', orderId).execute();
    await trx
      .insertInto('purchase_order_lines')
      .values(
        body.lines.map((l) => ({
          order_id: orderId,
          item_id: l.itemId,
          quantity: l.quantity,
          received: 0,
          unit_cost: l.unitCost,
        })),
      )
      .execute();
  }

  async create(actor: Actor, body: PurchaseOrderBody, ctx: RequestContext): Promise<PurchaseOrder> {
    const id = randomUUID();
    const { db, engine } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockChain(trx, engine, NUMBER_LOCK);
      await this.checkLines(trx, body);
      const last = await trx
        .selectFrom('purchase_orders')
        .select((eb) => eb.fn.max('number').as('n'))
        .executeTakeFirst();
      const number = Number(last?.n ?? 0) + 1;
      const now = this.iso();
      await trx
        .insertInto('purchase_orders')
        .values({
          id,
          number,
          supplier_id: body.supplierId,
          status: 'draft',
          notes: body.notes ?? '',
          expected_at: body.expectedAt ?? null,
          ordered_at: null,
          closed_at: null,
          invoice_name: null,
          invoice_size: null,
          invoice_uploaded_at: null,
          created_by: actor.user.id,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.writeLines(trx, id, body);
      await this.deps.audit.record(trx, {
        action: 'orders.create',
        actor,
        target: { type: 'purchase_order', id },
        after: { reference: reference(number), ...body },
        context: ctx,
      });
    });
    return this.get(id);
  }

  /** Changes an order while nothing has been received on it. */
  async update(actor: Actor, id: string, body: PurchaseOrderBody, ctx: RequestContext): Promise<PurchaseOrder> {
    await transaction(this.deps.database.db, async (trx) => {
      await lockRow(trx, this.deps.database.engine, 'purchase_orders', id);
      const before = await this.get(id, trx);
      if (before.status !== 'draft' && before.status !== 'ordered') {
        throw new ConflictError(
          `${before.reference} is ${before.status.replace('_', ' ')}; it can no longer be changed.`,
        );
      }
      await this.checkLines(trx, body);
      await trx
        .updateTable('purchase_orders')
        .set({
          supplier_id: body.supplierId,
          notes: body.notes ?? '',
          expected_at: body.expectedAt ?? null,
          updated_at: this.iso(),
        })
        .where('id', '=', id)
        .execute();
      await this.writeLines(trx, id, body);
      await this.deps.audit.record(trx, {
        action: 'orders.update',
        actor,
        target: { type: 'purchase_order', id },
        before: {
          supplierId: before.supplier.id,
          lines: before.lines.map((l) => ({ itemId: l.itemId, quantity: l.quantity, unitCost: l.unitCost })),
        },
        after: body,
        context: ctx,
      });
    });
    return this.get(id);
  }

  private async transition(
    actor: Actor,
    id: string,
    from: PurchaseOrderStatus[],
    to: PurchaseOrderStatus,
    action: string,
    ctx: RequestContext,
  ): Promise<PurchaseOrder> {
    await transaction(this.deps.database.db, async (trx) => {
      await lockRow(trx, this.deps.database.engine, 'purchase_orders', id);
      const before = await this.get(id, trx);
      if (!from.includes(before.status)) {
        throw new ConflictError(
          `${before.reference} is ${before.status.replace('_', ' ')}; it cannot be ${to.replace('_', ' ')} now.`,
        );
      }
      const now = this.iso();
      await trx
        .updateTable('purchase_orders')
        .set({
          status: to,
          updated_at: now,
          ...(to === 'ordered' ? { ordered_at: now } : {}),
          ...(to === 'cancelled' ? { closed_at: now } : {}),
        })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action,
        actor,
        target: { type: 'purchase_order', id },
        before: { status: before.status },
        after: { status: to },
        context: ctx,
      });
    });
    return this.get(id);
  }

  place(actor: Actor, id: string, ctx: RequestContext) {
    return this.transition(actor, id, ['draft'], 'ordered', 'orders.place', ctx);
  }

  cancel(actor: Actor, id: string, ctx: RequestContext) {
    return this.transition(actor, id, [...OPEN_ORDER_STATUSES], 'cancelled', 'orders.cancel', ctx);
  }

  /**
   * Receives part or all of some lines: receipt movements raise the stock in the same transaction.
   * Exactly once per unit: the order row is locked for the transaction (PostgreSQL `for update`;
   * SQLite runs one writer at a time), a line may appear once per request, and each line's
   * `received` only moves by a conditional update that cannot pass the ordered quantity.
   */
  async receive(actor: Actor, id: string, body: ReceiveBody, ctx: RequestContext): Promise<PurchaseOrder> {
    const seen = new Set<number>();
    for (const r of body.lines) {
      if (seen.has(r.lineId)) {
        throw new ValidationError('A line appears twice; send each line once with the total quantity received.', [
          { path: 'lines', message: `Line ${r.lineId} is listed more than once.` },
        ]);
      }
      seen.add(r.lineId);
    }
    await transaction(this.deps.database.db, async (trx) => {
      await lockRow(trx, this.deps.database.engine, 'purchase_orders', id);
      const order = await this.get(id, trx);
      if (!isReceivable(order.status)) {
        throw new ConflictError(
          order.status === 'draft'
            ? `${order.reference} is still a draft; place the order before receiving it.`
            : `${order.reference} is ${order.status.replace('_', ' ')}; nothing more can be received.`,
        );
      }
      const received: { sku: string; quantity: number }[] = [];
      for (const r of body.lines) {
        const line = order.lines.find((l) => l.id === r.lineId);
        if (!line)
          throw new ValidationError('A line is not part of this order.', [
            { path: 'lines', message: `No line ${r.lineId} on ${order.reference}.` },
          ]);
        const due = () =>
          new ValidationError(
            `Only ${line.quantity - line.received} ${line.unit} of ${line.name} are still due; receiving more than was ordered is refused.`,
            [{ path: 'lines', message: `${line.sku}: at most ${line.quantity - line.received}.` }],
          );
        if (line.received + r.quantity > line.quantity) throw due();
        const moved = await trx
          .updateTable('purchase_order_lines')
          .set((eb) => ({ received: eb('received', '+', r.quantity) }))
          .where('id', '=', r.lineId)
          .where('order_id', '=', id)
          .where((eb) => eb(eb('received', '+', r.quantity), '<=', eb.ref('quantity')))
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) throw due();
        await this.deps.items.changeStock(
          trx,
          actor,
          line.itemId,
          {
            delta: r.quantity,
            kind: 'receipt',
            reason: body.note?.trim() || `Received on ${order.reference}`,
            reference: { type: 'purchase_order', id },
          },
          ctx,
          false,
        );
        received.push({ sku: line.sku, quantity: r.quantity });
      }
      const after = await this.get(id, trx);
      const complete = after.lines.every((l) => l.received >= l.quantity);
      await trx
        .updateTable('purchase_orders')
        .set({
          status: complete ? 'received' : 'partially_received',
          updated_at: this.iso(),
          ...(complete ? { closed_at: this.iso() } : {}),
        })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: 'orders.receive',
        actor,
        target: { type: 'purchase_order', id },
        before: { status: order.status },
        after: { status: complete ? 'received' : 'partially_received', received },
        reason: body.note ?? null,
        context: ctx,
      });
    });
    return this.get(id);
  }

  /** Deletes an order on which nothing was received (the audit log keeps what it was). */
  async remove(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    await transaction(this.deps.database.db, async (trx) => {
      await lockRow(trx, this.deps.database.engine, 'purchase_orders', id);
      const order = await this.get(id, trx);
      if (order.lines.some((l) => l.received > 0)) {
        throw new ConflictError(`Goods were received on ${order.reference}; it can be cancelled but not deleted.`);
      }
      await trx.deleteFrom('purchase_orders').where('id', '=', id).execute();
      await this.deps.audit.record(trx, {
        action: 'orders.delete',
        actor,
        target: { type: 'purchase_order', id },
        before: order,
        context: ctx,
      });
    });
    if (existsSync(this.invoicePath(id))) rmSync(this.invoicePath(id));
  }

  /** Stores an invoice PDF (checked to be one) under the data directory. */
  async attachInvoice(actor: Actor, id: string, file: { name: string; data: Buffer }, ctx: RequestContext) {
    if (file.data.length === 0)
      throw new ValidationError('The file is empty.', [{ path: 'file', message: 'Choose a PDF file.' }]);
    const problem = pdfProblem(file.data);
    if (problem) {
      throw new HttpError(
        415,
        'not-a-pdf',
        'Not a PDF',
        `${path.basename(file.name).slice(0, 120)} is not a PDF file (${problem}); upload the invoice as a PDF.`,
      );
    }
    const name =
      path
        .basename(file.name)
        .replace(/[^\w.\- ()]+/g, '_')
        .slice(0, 120) || 'invoice.pdf';
    await transaction(this.deps.database.db, async (trx) => {
      const order = await this.get(id, trx);
      mkdirSync(path.dirname(this.invoicePath(id)), { recursive: true, mode: 0o700 });
      writeFileSync(this.invoicePath(id), file.data, { mode: 0o600 });
      await trx
        .updateTable('purchase_orders')
        .set({
          invoice_name: name,
          invoice_size: file.data.length,
          invoice_uploaded_at: this.iso(),
          updated_at: this.iso(),
        })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: 'orders.invoice',
        actor,
        target: { type: 'purchase_order', id },
        before: order.invoice,
        after: { name, size: file.data.length },
        context: ctx,
      });
    });
    return this.get(id);
  }

  /**
   * The stored invoice, always downloaded as a PDF under a generated name (`PO-000042-invoice.pdf`):
   * the uploader's file name is kept for display only, never for the download.
   */
  async invoice(id: string) {
    const order = await this.get(id);
    if (!order.invoice || !existsSync(this.invoicePath(id)))
      throw new NotFoundError('No invoice has been uploaded for this order.');
    return {
      name: `${order.reference}-invoice.pdf`,
      size: order.invoice.size,
      stream: createReadStream(this.invoicePath(id)),
    };
  }

  /** Low-stock items grouped by their preferred (else cheapest) supplier, with a quantity to order. */
  async suggestions(): Promise<SupplySuggestions> {
    const { db } = this.deps.database;
    const low = await db
      .selectFrom('items')
      .select(['id', 'sku', 'name', 'on_hand', 'reorder_level', 'reorder_quantity', 'cost'])
      .where('active', '=', 1)
      .where('reorder_level', '>', 0)
      .whereRef('on_hand', '<=', 'reorder_level')
      .orderBy('name')
      .execute();
    // What is already on its way counts.
    const due = await db
      .selectFrom('purchase_order_lines')
      .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.order_id')
      .select([
        'purchase_order_lines.item_id',
        (eb) => eb.fn.sum<number>(eb('quantity', '-', eb.ref('received'))).as('due'),
      ])
      .where('purchase_orders.status', 'in', OPEN_ORDER_STATUSES)
      .groupBy('purchase_order_lines.item_id')
      .execute();
    const links = low.length
      ? await db
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
          .where(
            'item_suppliers.item_id',
            'in',
            low.map((l) => l.id),
          )
          .execute()
      : [];
    const groups = new Map<string, SupplySuggestions['groups'][number]>();
    for (const item of low) {
      const incoming = storedQuantity(due.find((d) => d.item_id === item.id)?.due ?? 0);
      const target =
        storedQuantity(item.reorder_quantity) > 0
          ? storedQuantity(item.reorder_quantity)
          : storedQuantity(item.reorder_level) * 2 - storedQuantity(item.on_hand);
      // A suggestion is something one can order: at most one line's quantity.
      const quantity = Math.min(MAX_QUANTITY, Math.max(0, target - incoming));
      if (quantity === 0) continue;
      const options = links
        .filter((l) => l.item_id === item.id)
        .sort((a, b) => b.preferred - a.preferred || Number(a.supplier_price) - Number(b.supplier_price));
      const best = options[0];
      const key = best?.id ?? '';
      if (!groups.has(key)) groups.set(key, { supplier: best ? { id: best.id, name: best.name } : null, lines: [] });
      groups.get(key)?.lines.push({
        itemId: item.id,
        sku: item.sku,
        name: item.name,
        onHand: storedQuantity(item.on_hand),
        reorderLevel: storedQuantity(item.reorder_level),
        quantity,
        unitCost:
          best && storedMoney(best.supplier_price) > 0 ? storedMoney(best.supplier_price) : storedMoney(item.cost),
      });
    }
    return {
      groups: [...groups.values()].sort((a, b) => (a.supplier?.name ?? '~').localeCompare(b.supplier?.name ?? '~')),
    };
  }
}
