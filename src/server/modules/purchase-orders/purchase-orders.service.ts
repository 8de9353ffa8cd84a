import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  MAX_MONEY_MINOR,
  MAX_QUANTITY,
  MAX_STOCK,
  storedMoney,
  storedQuantity,
} from '../../../shared/contracts/bounds.ts';
import {
  isReceivable,
  OPEN_ORDER_STATUSES,
  type PurchaseOrder,
  type PurchaseOrderBody,
  purchaseOrderReference,
  type ReceiveBody,
  SUGGESTION_LINES_MAX,
  type SupplySuggestions,
} from '../../../shared/contracts/inventory.ts';
import { quantity } from '../../../shared/quantities.ts';
import type { Engine } from '../../db/dialect.ts';
import type { PurchaseOrderStatus } from '../../db/schema.ts';
import { ConflictError, HttpError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, type Db, inTransaction, type TxContext } from '../context.ts';
import type { CatalogService } from '../inventory/catalog.service.ts';
import type { ItemsService } from '../inventory/items.service.ts';
import { type Business, loadBusiness } from '../settings/settings.service.ts';
import { isWinAnsi, type OrderDocument, orderPdf } from './purchase-order-pdf.ts';
import * as repo from './purchase-orders.repository.ts';

type Deps = {
  engine: Engine;
  audit: AuditService;
  items: ItemsService;
  catalog: CatalogService;
  dataDir: string;
  now: () => number;
};

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
const said = (s: PurchaseOrderStatus) => s.replace('_', ' ');

/**
 * Purchase orders: draft → ordered → partially received → received, or cancelled.
 *
 * The module's canonical shape: every public method takes the caller's `Context` first; a
 * change runs in `inTransaction(ctx, …)`, where it locks, reads what decides it, writes through
 * the repository and records its audit event, all on `tx.db`; the answer is read in the same
 * transaction, so it shows exactly what was written. Stock moves through the items service, and
 * the supplier is checked (and held) through the catalog service.
 */
export class PurchaseOrdersService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  // --- reading ------------------------------------------------------------------------------------

  async list(ctx: Context, status: PurchaseOrderStatus | 'open' | 'all'): Promise<PurchaseOrder[]> {
    return this.load(ctx.db, await repo.orderIds(ctx.db, status));
  }

  async get(ctx: Context, id: string): Promise<PurchaseOrder> {
    const [order] = await this.load(ctx.db, [id]);
    if (!order) throw new NotFoundError('There is no purchase order with that id.');
    return order;
  }

  private async load(db: Db, ids: string[]): Promise<PurchaseOrder[]> {
    if (ids.length === 0) return [];
    const orders = await repo.orderRows(db, ids);
    const lines = await repo.lineRows(db, ids);
    const today = calendarDate(this.deps.now(), (await loadBusiness(db))?.timezone ?? 'UTC');
    return orders.map((o) => toOrder(o, lines, today));
  }

  // --- changing -----------------------------------------------------------------------------------

  async create(ctx: Context, body: PurchaseOrderBody): Promise<PurchaseOrder> {
    return inTransaction(ctx, async (tx) => {
      const id = randomUUID();
      const number = await repo.allocateNumber(tx.db, this.deps.engine);
      await this.checkLines(tx, body);
      await repo.insertOrder(tx.db, {
        id,
        number,
        supplier_id: body.supplierId,
        notes: body.notes ?? '',
        expected_at: body.expectedAt ?? null,
        supplier_reference: body.supplierReference || null,
        created_by: tx.actor.user.id,
        created_at: this.iso(),
      });
      await repo.replaceLines(tx.db, id, lineValues(body));
      await this.deps.audit.record(tx, {
        action: 'orders.create',
        target: { type: 'purchase_order', id },
        after: { reference: reference(number), ...body },
      });
      return this.get(tx, id);
    });
  }

  /** Changes an order while nothing has been received on it. */
  async update(ctx: Context, id: string, body: PurchaseOrderBody): Promise<PurchaseOrder> {
    return inTransaction(ctx, async (tx) => {
      const before = await this.locked(tx, id);
      if (before.status !== 'draft' && before.status !== 'ordered') {
        throw new ConflictError(`${before.reference} is ${said(before.status)}; it can no longer be changed.`);
      }
      await this.checkLines(tx, body);
      await repo.updateOrder(tx.db, id, {
        supplier_id: body.supplierId,
        notes: body.notes ?? '',
        expected_at: body.expectedAt ?? null,
        supplier_reference: body.supplierReference || null,
        updated_at: this.iso(),
      });
      await repo.replaceLines(tx.db, id, lineValues(body));
      await this.deps.audit.record(tx, {
        action: 'orders.update',
        target: { type: 'purchase_order', id },
        before: {
          supplierId: before.supplier.id,
          notes: before.notes,
          expectedAt: before.expectedAt,
          supplierReference: before.supplierReference,
          lines: before.lines.map((l) => ({ itemId: l.itemId, quantity: l.quantity, unitCost: l.unitCost })),
        },
        after: body,
      });
      return this.get(tx, id);
    });
  }

  place(ctx: Context, id: string) {
    return this.transition(ctx, id, ['draft'], 'ordered', 'orders.place');
  }

  cancel(ctx: Context, id: string) {
    return this.transition(ctx, id, [...OPEN_ORDER_STATUSES], 'cancelled', 'orders.cancel');
  }

  private transition(
    ctx: Context,
    id: string,
    from: PurchaseOrderStatus[],
    to: PurchaseOrderStatus,
    action: string,
  ): Promise<PurchaseOrder> {
    return inTransaction(ctx, async (tx) => {
      const before = await this.locked(tx, id);
      if (!from.includes(before.status)) {
        throw new ConflictError(`${before.reference} is ${said(before.status)}; it cannot be ${said(to)} now.`);
      }
      const now = this.iso();
      await repo.updateOrder(tx.db, id, {
        status: to,
        updated_at: now,
        ...(to === 'ordered' ? { ordered_at: now } : {}),
        ...(to === 'cancelled' ? { closed_at: now } : {}),
      });
      await this.deps.audit.record(tx, {
        action,
        target: { type: 'purchase_order', id },
        before: { status: before.status },
        after: { status: to },
      });
      return this.get(tx, id);
    });
  }

  /**
   * Receives part or all of some lines: receipt movements raise the stock in the same transaction.
   * Exactly once per unit: the order is locked for the transaction, a line may appear once per
   * request, and each line's `received` only moves by a conditional update that cannot pass the
   * ordered quantity (`repo.receiveOnLine`).
   */
  async receive(ctx: Context, id: string, body: ReceiveBody): Promise<PurchaseOrder> {
    const seen = new Set<number>();
    for (const r of body.lines) {
      if (seen.has(r.lineId)) {
        throw new ValidationError('A line appears twice; send each line once with the total quantity received.', [
          { path: 'lines', message: `Line ${r.lineId} is listed more than once.` },
        ]);
      }
      seen.add(r.lineId);
    }
    return inTransaction(ctx, async (tx) => {
      const order = await this.locked(tx, id);
      if (!isReceivable(order.status)) {
        throw new ConflictError(
          order.status === 'draft'
            ? `${order.reference} is still a draft; place the order before receiving it.`
            : `${order.reference} is ${said(order.status)}; nothing more can be received.`,
        );
      }
      const received: { sku: string; quantity: number; overDelivered?: number; overDeliveryReason?: string }[] = [];
      for (const [i, r] of body.lines.entries()) {
        const line = order.lines.find((l) => l.id === r.lineId);
        if (!line)
          throw new ValidationError('A line is not part of this order.', [
            { path: 'lines', message: `No line ${r.lineId} on ${order.reference}.` },
          ]);
        const due = Math.max(0, line.quantity - line.received);
        // More than is due goes in only as an over-delivery, with a reason (the order is locked, so
        // `due` stays true until this transaction ends; the conditional update checks it again).
        const overDelivered = Math.max(0, r.quantity - due);
        const reason = r.overDeliveryReason?.trim() || null;
        if (overDelivered > 0 && !reason) {
          throw new ValidationError(
            `Only ${quantity(due, line.unit)} of ${line.name} ${due === 1 ? 'is' : 'are'} still due; to receive ${r.quantity}, record an over-delivery and say why.`,
            [
              {
                path: `lines.${i}.overDeliveryReason`,
                message: `${line.sku}: ${overDelivered} more than is due; say why more arrived.`,
              },
            ],
          );
        }
        if (!(await repo.receiveOnLine(tx.db, id, r.lineId, r.quantity, reason ? { ceiling: MAX_STOCK } : null))) {
          throw new ValidationError(
            reason
              ? `${line.name} cannot hold that many: a line receives at most ${quantity(MAX_STOCK, line.unit)}.`
              : `Only ${quantity(due, line.unit)} of ${line.name} ${due === 1 ? 'is' : 'are'} still due; receiving more than was ordered is refused.`,
            [
              {
                path: `lines.${i}.quantity`,
                message: `${line.sku}: at most ${reason ? MAX_STOCK - line.received : due}.`,
              },
            ],
          );
        }
        await this.deps.items.changeStock(
          tx,
          line.itemId,
          {
            delta: r.quantity,
            kind: 'receipt',
            reason:
              overDelivered > 0
                ? `Over-delivery on ${order.reference} (${quantity(overDelivered, line.unit)} more than ordered): ${reason}`
                : body.note?.trim() || `Received on ${order.reference}`,
            reference: { type: 'purchase_order', id },
          },
          { audit: false }, // the order's one receive event below names every line
        );
        received.push({
          sku: line.sku,
          quantity: r.quantity,
          ...(overDelivered > 0 && reason ? { overDelivered, overDeliveryReason: reason } : {}),
        });
      }
      const after = await this.get(tx, id);
      const complete = after.lines.every((l) => l.received >= l.quantity);
      const status = complete ? 'received' : 'partially_received';
      await repo.updateOrder(tx.db, id, {
        status,
        updated_at: this.iso(),
        ...(complete ? { closed_at: this.iso() } : {}),
      });
      await this.deps.audit.record(tx, {
        action: 'orders.receive',
        target: { type: 'purchase_order', id },
        before: { status: order.status },
        after: { status, received },
        reason:
          [
            body.note?.trim(),
            ...received.map((r) => r.overDeliveryReason && `Over-delivery of ${r.sku}: ${r.overDeliveryReason}`),
          ]
            .filter(Boolean)
            .join('; ') || null,
      });
      return this.get(tx, id);
    });
  }

  /** Deletes an order on which nothing was received (the audit log keeps what it was). */
  async remove(ctx: Context, id: string): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      const order = await this.locked(tx, id);
      if (order.lines.some((l) => l.received > 0)) {
        throw new ConflictError(`Goods were received on ${order.reference}; it can be cancelled but not deleted.`);
      }
      await repo.deleteOrder(tx.db, id);
      await this.deps.audit.record(tx, {
        action: 'orders.delete',
        target: { type: 'purchase_order', id },
        before: order,
      });
    });
    // Only once the order is gone: removed first, a failed delete would leave an invoice without its file.
    rmSync(this.invoicePath(id), { force: true });
  }

  // --- invoices -----------------------------------------------------------------------------------

  private invoicePath(id: string): string {
    return path.join(this.deps.dataDir, 'invoices', `${id}.pdf`);
  }

  /**
   * Stores an invoice PDF (checked to be one) under the data directory. The file is written
   * beside its final name first and moved over it as the last step of the transaction, with
   * the order locked: a failed upload leaves the previous invoice whole, and of two uploads at
   * once the one whose row commits last is the one whose file stays.
   */
  async attachInvoice(ctx: Context, id: string, file: { name: string; data: Buffer }): Promise<PurchaseOrder> {
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
    const final = this.invoicePath(id);
    // One name per order: the order's lock is held from writing it to renaming it, so two uploads
    // to one order never share it, and a failed one removes it before the lock is released.
    const pending = `${final}.part`;
    return inTransaction(ctx, async (tx) => {
      const order = await this.locked(tx, id);
      try {
        mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
        writeFileSync(pending, file.data, { mode: 0o600 });
        const now = this.iso();
        await repo.updateOrder(tx.db, id, {
          invoice_name: name,
          invoice_size: file.data.length,
          invoice_uploaded_at: now,
          updated_at: now,
        });
        await this.deps.audit.record(tx, {
          action: 'orders.invoice',
          target: { type: 'purchase_order', id },
          before: order.invoice,
          after: { name, size: file.data.length },
        });
        renameSync(pending, final);
      } catch (err) {
        rmSync(pending, { force: true });
        throw err;
      }
      return this.get(tx, id);
    });
  }

  /**
   * The stored invoice, always downloaded as a PDF under a generated name (`PO-000042-invoice.pdf`):
   * the uploader's file name is kept for display only, never for the download.
   */
  async invoice(ctx: Context, id: string) {
    const order = await this.get(ctx, id);
    if (!order.invoice || !existsSync(this.invoicePath(id)))
      throw new NotFoundError('No invoice has been uploaded for this order.');
    return {
      name: `${order.reference}-invoice.pdf`,
      size: order.invoice.size,
      stream: createReadStream(this.invoicePath(id)),
    };
  }

  // --- the order as a document -------------------------------------------------------------------

  /**
   * The order as a PDF to send to the supplier (`PO-000042.pdf`): the business, the supplier and how
   * to reach them, the order's dates and references, every line and the total, in the business's
   * currency and time zone. Read in one transaction, so the lines and the total agree.
   */
  async pdf(ctx: Context, id: string): Promise<{ name: string; data: Buffer }> {
    return inTransaction(ctx, async (tx) => {
      const order = await this.get(tx, id);
      const business: Partial<Business> & { name: string; timezone: string; currency: string } = (await loadBusiness(
        tx.db,
      )) ?? { name: 'Steward', timezone: 'UTC', currency: 'EUR' };
      const supplier = await repo.supplierContact(tx.db, order.supplier.id);
      const day = (iso: string, timeZone = business.timezone) =>
        new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone }).format(new Date(iso));
      const document: OrderDocument = {
        business: {
          name: business.name,
          address: business.address ?? '',
          phone: business.phone ?? '',
          email: business.email ?? '',
          taxId: business.taxId ?? '',
        },
        reference: order.reference,
        status: STATUS_LABEL[order.status],
        supplier: {
          name: order.supplier.name,
          contactName: supplier?.contact_name ?? '',
          email: supplier?.email ?? '',
          phone: supplier?.phone ?? '',
          address: supplier?.address ?? '',
        },
        created: day(order.createdAt),
        ordered: order.orderedAt ? day(order.orderedAt) : null,
        // A calendar date, not an instant: printed as written, whatever the time zone.
        expected: order.expectedAt ? day(`${order.expectedAt}T00:00:00Z`, 'UTC') : null,
        supplierReference: order.supplierReference,
        notes: order.notes,
        lines: order.lines,
        total: order.total,
        money: moneyFormatter(business.currency),
        printed: day(this.iso()),
      };
      return { name: `${order.reference}.pdf`, data: orderPdf(document) };
    });
  }

  // --- what to order ------------------------------------------------------------------------------

  /**
   * Low-stock items grouped by their preferred (else cheapest) supplier, with a quantity to order:
   * a page of `limit` groups from `offset` (by supplier name, "no supplier" last), each group with
   * its count and at most SUGGESTION_LINES_MAX of its items (by name; `more` says how many are left out).
   */
  async suggestions(ctx: Context, page: { offset: number; limit: number }): Promise<SupplySuggestions> {
    const low = await repo.lowStockItems(ctx.db);
    // What is already on its way counts; both read once and looked up by item, not searched per item.
    const due = new Map((await repo.dueOnOpenOrders(ctx.db)).map((d) => [d.item_id, d.due]));
    const links = Map.groupBy(
      await repo.supplierOptions(
        ctx.db,
        low.map((l) => l.id),
      ),
      (l) => l.item_id,
    );
    const groups = new Map<string, Omit<SupplySuggestions['groups'][number], 'count' | 'more'>>();
    for (const item of low) {
      const incoming = storedQuantity(due.get(item.id) ?? 0);
      const target =
        storedQuantity(item.reorder_quantity) > 0
          ? storedQuantity(item.reorder_quantity)
          : storedQuantity(item.reorder_level) * 2 - storedQuantity(item.on_hand);
      // A suggestion is something one can order: at most one line's quantity.
      const quantity = Math.min(MAX_QUANTITY, Math.max(0, target - incoming));
      if (quantity === 0) continue;
      const options = (links.get(item.id) ?? []).sort(
        (a, b) => b.preferred - a.preferred || Number(a.supplier_price) - Number(b.supplier_price),
      );
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
    const all = [...groups.values()].sort(
      (a, b) =>
        Number(a.supplier === null) - Number(b.supplier === null) ||
        (a.supplier?.name ?? '').localeCompare(b.supplier?.name ?? '') ||
        (a.supplier?.id ?? '').localeCompare(b.supplier?.id ?? ''),
    );
    return {
      groups: all.slice(page.offset, page.offset + page.limit).map((g) => ({
        supplier: g.supplier,
        lines: g.lines.slice(0, SUGGESTION_LINES_MAX),
        count: g.lines.length,
        more: Math.max(0, g.lines.length - SUGGESTION_LINES_MAX),
      })),
      totalGroups: all.length,
      totalItems: all.reduce((n, g) => n + g.lines.length, 0),
      offset: page.offset,
      limit: page.limit,
    };
  }

  // --- helpers ------------------------------------------------------------------------------------

  /** The order, locked until the transaction ends (404 when there is none). */
  private async locked(tx: TxContext, id: string): Promise<PurchaseOrder> {
    await repo.lockOrder(tx.db, this.deps.engine, id);
    return this.get(tx, id);
  }

  /** An active supplier (held until the transaction ends), and each line an active item named once. */
  private async checkLines(tx: TxContext, body: PurchaseOrderBody): Promise<void> {
    if (!(await this.deps.catalog.holdActiveSupplier(tx, body.supplierId))) {
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
    if ((await repo.countActiveItems(tx.db, ids)) !== ids.length) {
      throw new ValidationError('A line names an item that does not exist or is archived.', [
        { path: 'lines', message: 'Choose active items.' },
      ]);
    }
  }
}

const lineValues = (body: PurchaseOrderBody) =>
  body.lines.map((l) => ({ itemId: l.itemId, quantity: l.quantity, unitCost: l.unitCost }));

/** The API's view of one stored order, given the lines of it (and of others) as read. */
function toOrder(o: repo.OrderRow, allLines: repo.LineRow[], today: string): PurchaseOrder {
  const lines = allLines
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
      supplierSku: l.supplier_sku ?? '',
    }));
  return {
    id: o.id,
    number: Number(o.number),
    reference: reference(Number(o.number)),
    supplier: { id: o.supplier_id, name: o.supplier_name },
    status: o.status,
    notes: o.notes,
    expectedAt: o.expected_at,
    supplierReference: o.supplier_reference,
    overdue: isReceivable(o.status) && o.expected_at !== null && o.expected_at < today,
    orderedAt: o.ordered_at,
    closedAt: o.closed_at,
    // Bounded by the schema when written; a stored row past the bounds reads as the limit, never a 500.
    total: Math.min(
      MAX_MONEY_MINOR,
      lines.reduce((sum, l) => sum + Math.min(MAX_MONEY_MINOR, l.quantity * l.unitCost), 0),
    ),
    invoice:
      o.invoice_name && o.invoice_uploaded_at
        ? { name: o.invoice_name, size: storedQuantity(o.invoice_size ?? 0), uploadedAt: o.invoice_uploaded_at }
        : null,
    lines,
    createdAt: o.created_at,
  };
}

/** The calendar date (YYYY-MM-DD) at `epochMs` in `timeZone`. */
export function calendarDate(epochMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(epochMs);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

const STATUS_LABEL: Record<PurchaseOrderStatus, string> = {
  draft: 'Draft (not yet placed)',
  ordered: 'Ordered',
  partially_received: 'Partly received',
  received: 'Received',
  cancelled: 'Cancelled',
};

/**
 * Amounts in minor units as the business's currency ("€1,234.50"), as the web app shows them
 * (minor units are hundredths); a currency whose symbol the PDF's fonts lack prints its code.
 */
function moneyFormatter(currency: string): (minor: number) => string {
  const withSymbol = new Intl.NumberFormat('en', { style: 'currency', currency });
  const withCode = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'code' });
  const format = isWinAnsi(withSymbol.format(1)) ? withSymbol : withCode;
  return (minor) => format.format(minor / 100);
}
