import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { storedQuantity } from '../../../shared/contracts/bounds.ts';
import type { StockCount, StockCountSummary } from '../../../shared/contracts/inventory.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import { lockRow } from '../../db/dialect.ts';
import type { DB } from '../../db/schema.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ItemsService } from './items.service.ts';

type Deps = { database: Database; audit: AuditService; items: ItemsService; now: () => number };

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
  private async summaries(db: Tx, id?: string): Promise<StockCountSummary[]> {
    let q = db
      .selectFrom('stock_counts')
      .leftJoin('users', 'users.id', 'stock_counts.created_by')
      .selectAll('stock_counts')
      .select('users.name as created_by_name');
    if (id !== undefined) q = q.where('stock_counts.id', '=', id);
    const counts = await q.orderBy('stock_counts.created_at', 'desc').limit(100).execute();
    const lines = counts.length
      ? await db
          .selectFrom('stock_count_lines')
          .select(['count_id', 'expected', 'counted'])
          .where(
            'count_id',
            'in',
            counts.map((c) => c.id),
          )
          .execute()
      : [];
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

  list(): Promise<StockCountSummary[]> {
    return this.summaries(this.deps.database.db);
  }

  async get(id: string, db: Tx = this.deps.database.db): Promise<StockCount> {
    const [summary] = await this.summaries(db, id);
    if (!summary) throw new NotFoundError('There is no stocktake with that id.');
    const lines = await db
      .selectFrom('stock_count_lines')
      .innerJoin('items', 'items.id', 'stock_count_lines.item_id')
      .select([
        'stock_count_lines.item_id',
        'stock_count_lines.expected',
        'stock_count_lines.counted',
        'items.sku',
        'items.name',
        'items.location',
        'items.unit',
      ])
      .where('stock_count_lines.count_id', '=', id)
      .orderBy('items.location')
      .orderBy('items.name')
      .execute();
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
    actor: Actor,
    body: { note?: string | undefined; categoryId?: string | undefined; location?: string | undefined },
    ctx: RequestContext,
  ) {
    const id = randomUUID();
    await transaction(this.deps.database.db, async (trx) => {
      let q = trx.selectFrom('items').select(['id', 'on_hand']).where('active', '=', 1);
      if (body.categoryId) q = q.where('category_id', '=', body.categoryId);
      if (body.location) q = q.where('location', '=', body.location);
      const items = await q.execute();
      if (items.length === 0)
        throw new ValidationError('No active item matches; nothing to count.', [
          { path: 'categoryId', message: 'No items to count.' },
        ]);
      await trx
        .insertInto('stock_counts')
        .values({
          id,
          status: 'open',
          note: body.note ?? '',
          created_by: actor.user.id,
          created_at: this.iso(),
          closed_at: null,
          closed_by: null,
        })
        .execute();
      for (let i = 0; i < items.length; i += 500) {
        await trx
          .insertInto('stock_count_lines')
          .values(
            items
              .slice(i, i + 500)
              .map((it) => ({ count_id: id, item_id: it.id, expected: Number(it.on_hand), counted: null })),
          )
          .execute();
      }
      await this.deps.audit.record(trx, {
        action: 'inventory.count_open',
        actor,
        target: { type: 'stock_count', id },
        after: { items: items.length, ...body },
        context: ctx,
      });
    });
    return this.get(id);
  }

  /** The count, locked until the transaction ends (so a post cannot interleave); 404 or 409 unless open. */
  private async openCount(trx: Transaction<DB>, id: string) {
    await lockRow(trx, this.deps.database.engine, 'stock_counts', id);
    const count = await trx.selectFrom('stock_counts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!count) throw new NotFoundError('There is no stocktake with that id.');
    if (count.status !== 'open') throw new ConflictError(`This stocktake is already ${count.status}.`);
    return count;
  }

  async record(actor: Actor, id: string, lines: { itemId: string; counted: number | null }[], ctx: RequestContext) {
    await transaction(this.deps.database.db, async (trx) => {
      await this.openCount(trx, id);
      for (const l of lines) {
        const r = await trx
          .updateTable('stock_count_lines')
          .set({ counted: l.counted })
          .where('count_id', '=', id)
          .where('item_id', '=', l.itemId)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) {
          throw new ValidationError('An item is not part of this stocktake.', [
            { path: 'lines', message: `Item ${l.itemId} is not being counted.` },
          ]);
        }
      }
      await this.deps.audit.record(trx, {
        action: 'inventory.count_record',
        actor,
        target: { type: 'stock_count', id },
        after: { lines },
        context: ctx,
      });
    });
    return this.get(id);
  }

  /**
   * Posts every counted difference as a `count` movement, in one transaction, exactly once: the
   * count is claimed first by a conditional update (`where status = 'open'`), which PostgreSQL
   * serialises on the row; whoever finds it no longer open gets 409 and changes nothing.
   */
  async post(actor: Actor, id: string, ctx: RequestContext) {
    await transaction(this.deps.database.db, async (trx) => {
      const claimed = await trx
        .updateTable('stock_counts')
        .set({ status: 'posted', closed_at: this.iso(), closed_by: actor.user.id })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) {
        await this.openCount(trx, id); // 404 or 409
        throw new ConflictError('This stocktake is no longer open.');
      }
      const lines = await trx
        .selectFrom('stock_count_lines')
        .selectAll()
        .where('count_id', '=', id)
        .where('counted', 'is not', null)
        .execute();
      if (lines.length === 0) throw new ConflictError('Nothing has been counted yet.');
      const posted: { itemId: string; difference: number }[] = [];
      for (const l of lines) {
        const difference = Number(l.counted) - Number(l.expected);
        if (difference === 0) continue;
        await this.deps.items.changeStock(
          { actor, request: ctx, db: trx },
          l.item_id,
          { delta: difference, kind: 'count', reason: 'Stocktake', reference: { type: 'stock_count', id } },
          { audit: false },
        );
        posted.push({ itemId: l.item_id, difference });
      }
      await this.deps.audit.record(trx, {
        action: 'inventory.count_post',
        actor,
        target: { type: 'stock_count', id },
        after: { counted: lines.length, adjusted: posted },
        context: ctx,
      });
    });
    return this.get(id);
  }

  async cancel(actor: Actor, id: string, ctx: RequestContext) {
    await transaction(this.deps.database.db, async (trx) => {
      await this.openCount(trx, id);
      await trx
        .updateTable('stock_counts')
        .set({ status: 'cancelled', closed_at: this.iso(), closed_by: actor.user.id })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: 'inventory.count_cancel',
        actor,
        target: { type: 'stock_count', id },
        context: ctx,
      });
    });
    return this.get(id);
  }
}
