import { randomUUID } from 'node:crypto';
import { storedQuantity } from '../../../shared/contracts/bounds.ts';
import type { StockCount, StockCountSummary } from '../../../shared/contracts/inventory.ts';
import type { Engine } from '../../db/dialect.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, inTransaction, type TxContext } from '../context.ts';
import * as repo from './counts.repository.ts';
import type { ItemsService } from './items.service.ts';

type Deps = { engine: Engine; audit: AuditService; items: ItemsService; now: () => number };

/**
 * Stocktakes: open a count (a snapshot of what the system expects), enter counted quantities,
 * review the differences, post them as `count` movements (counted − expected, so sales made
 * while counting are kept), or cancel.
 */
export class CountsService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  /** Stocktakes with their counts of lines, counted lines and differences: the newest 100, or one. */
  private async summaries(ctx: Context, id?: string): Promise<StockCountSummary[]> {
    const counts = await repo.countRows(ctx.db, id);
    const lines = await repo.lineFigures(
      ctx.db,
      counts.map((c) => c.id),
    );
    return counts.map((c) => {
      const mine = lines.filter((l) => l.count_id === c.id);
      return {
        id: c.id,
        status: c.status,
        note: c.note,
        lines: mine.length,
        counted: mine.filter((l) => l.counted !== null).length,
        differences: mine.filter((l) => l.counted !== null && Number(l.counted) !== Number(l.expected)).length,
        createdAt: c.created_at,
        createdBy: c.created_by_name,
        closedAt: c.closed_at,
      };
    });
  }

  list(ctx: Context): Promise<StockCountSummary[]> {
    return this.summaries(ctx);
  }

  async get(ctx: Context, id: string): Promise<StockCount> {
    const [summary] = await this.summaries(ctx, id);
    if (!summary) throw new NotFoundError('There is no stocktake with that id.');
    const lines = await repo.countLines(ctx.db, id);
    return {
      ...summary,
      items: lines.map((l) => ({
        itemId: l.item_id,
        sku: l.sku,
        name: l.name,
        location: l.location,
        unit: l.unit,
        expected: storedQuantity(l.expected),
        counted: l.counted === null ? null : storedQuantity(l.counted),
        difference: l.counted === null ? null : storedQuantity(l.counted) - storedQuantity(l.expected),
      })),
    };
  }

  async open(
    ctx: Context,
    body: { note?: string | undefined; categoryId?: string | undefined; location?: string | undefined },
  ): Promise<StockCount> {
    return inTransaction(ctx, async (tx) => {
      const id = randomUUID();
      // Read in the transaction that writes the snapshot: the expected figures are the figures at opening.
      const items = await repo.itemsToCount(tx.db, body);
      if (items.length === 0)
        throw new ValidationError('No active item matches; nothing to count.', [
          { path: 'categoryId', message: 'No items to count.' },
        ]);
      await repo.insertCount(
        tx.db,
        { id, note: body.note ?? '', created_by: tx.actor.user.id, created_at: this.iso() },
        items.map((it) => ({ itemId: it.id, onHand: Number(it.on_hand) })),
      );
      await this.deps.audit.record(tx, {
        action: 'inventory.count_open',
        target: { type: 'stock_count', id },
        after: { items: items.length, ...body },
      });
      return this.get(tx, id);
    });
  }

  /** Locks the stocktake until the transaction ends; 404 or 409 unless it is open. */
  private async openCount(tx: TxContext, id: string): Promise<void> {
    const count = await repo.lockedCount(tx.db, this.deps.engine, id);
    if (!count) throw new NotFoundError('There is no stocktake with that id.');
    if (count.status !== 'open') throw new ConflictError(`This stocktake is already ${count.status}.`);
  }

  async record(ctx: Context, id: string, lines: { itemId: string; counted: number | null }[]): Promise<StockCount> {
    return inTransaction(ctx, async (tx) => {
      await this.openCount(tx, id);
      for (const l of lines) {
        if (!(await repo.setCounted(tx.db, id, l.itemId, l.counted))) {
          throw new ValidationError('An item is not part of this stocktake.', [
            { path: 'lines', message: `Item ${l.itemId} is not being counted.` },
          ]);
        }
      }
      await this.deps.audit.record(tx, {
        action: 'inventory.count_record',
        target: { type: 'stock_count', id },
        after: { lines },
      });
      return this.get(tx, id);
    });
  }

  /**
   * Posts every counted difference as a `count` movement, in one transaction, exactly once: the
   * count is claimed first by a conditional update (`repo.closeCount`), which PostgreSQL
   * serialises on the row; whoever finds it no longer open gets 409 and changes nothing.
   */
  async post(ctx: Context, id: string): Promise<StockCount> {
    return inTransaction(ctx, async (tx) => {
      const claimed = await repo.closeCount(tx.db, id, {
        status: 'posted',
        closed_at: this.iso(),
        closed_by: tx.actor.user.id,
      });
      if (!claimed) {
        await this.openCount(tx, id); // 404 or 409
        throw new ConflictError('This stocktake is no longer open.');
      }
      const lines = await repo.countedLines(tx.db, id);
      if (lines.length === 0) throw new ConflictError('Nothing has been counted yet.');
      const posted: { itemId: string; difference: number }[] = [];
      for (const l of lines) {
        const difference = Number(l.counted) - Number(l.expected);
        if (difference === 0) continue;
        await this.deps.items.changeStock(
          tx,
          l.item_id,
          { delta: difference, kind: 'count', reason: 'Stocktake', reference: { type: 'stock_count', id } },
          { audit: false }, // the stocktake's one post event below names every adjustment
        );
        posted.push({ itemId: l.item_id, difference });
      }
      await this.deps.audit.record(tx, {
        action: 'inventory.count_post',
        target: { type: 'stock_count', id },
        after: { counted: lines.length, adjusted: posted },
      });
      return this.get(tx, id);
    });
  }

  async cancel(ctx: Context, id: string): Promise<StockCount> {
    return inTransaction(ctx, async (tx) => {
      await this.openCount(tx, id);
      await repo.closeCount(tx.db, id, { status: 'cancelled', closed_at: this.iso(), closed_by: tx.actor.user.id });
      await this.deps.audit.record(tx, {
        action: 'inventory.count_cancel',
        target: { type: 'stock_count', id },
      });
      return this.get(tx, id);
    });
  }
}
