import { randomUUID } from 'node:crypto';
import {
  type Category,
  type CategoryBody,
  purchaseOrderReference,
  type Supplier,
  type SupplierBody,
} from '../../../shared/contracts/inventory.ts';
import { type Engine, isUniqueViolation } from '../../db/dialect.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, inTransaction, type TxContext } from '../context.ts';
import * as repo from './catalog.repository.ts';

type Deps = { engine: Engine; audit: AuditService; now: () => number };

const nameTaken = (what: string) => (err: unknown) => {
  if (!isUniqueViolation(err)) return err;
  return new ValidationError(`Another ${what} already has this name.`, [
    { path: 'name', message: `Another ${what} already has this name.` },
  ]);
};

/** Categories and suppliers: created, renamed, archived (never erased while items use them). */
export class CatalogService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  /** The category or supplier, locked until the transaction ends (404 when there is none). */
  private async locked(tx: TxContext, table: 'categories', id: string): Promise<Category>;
  private async locked(tx: TxContext, table: 'suppliers', id: string): Promise<Supplier>;
  private async locked(tx: TxContext, table: 'categories' | 'suppliers', id: string): Promise<Category | Supplier> {
    await repo.lockCatalogRow(tx.db, this.deps.engine, table, id);
    return table === 'categories' ? this.category(tx, id) : this.supplier(tx, id);
  }

  // --- categories ---------------------------------------------------------------------------------

  async categories(ctx: Context, includeArchived: boolean, id?: string): Promise<Category[]> {
    const rows = await repo.listCategories(ctx.db, id === undefined ? { includeArchived } : { includeArchived, id });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      archived: r.archived_at !== null,
      items: Number(r.item_count ?? 0),
    }));
  }

  async category(ctx: Context, id: string): Promise<Category> {
    const [found] = await this.categories(ctx, true, id);
    if (!found) throw new NotFoundError('There is no category with that id.');
    return found;
  }

  async saveCategory(ctx: Context, id: string | null, body: CategoryBody): Promise<Category> {
    const key = id ?? randomUUID();
    const values = { name: body.name, description: body.description ?? '' };
    try {
      return await inTransaction(ctx, async (tx) => {
        const before = id ? await this.locked(tx, 'categories', id) : null;
        if (before) await repo.updateCategory(tx.db, key, values, this.iso());
        else await repo.insertCategory(tx.db, key, values, this.iso());
        await this.deps.audit.record(tx, {
          action: before ? 'categories.update' : 'categories.create',
          target: { type: 'category', id: key },
          before: before ? { name: before.name, description: before.description } : undefined,
          after: body,
        });
        return this.category(tx, key);
      });
    } catch (err) {
      throw nameTaken('category')(err);
    }
  }

  /** Archives a category; it must have no active items (move them first). */
  async archiveCategory(ctx: Context, id: string, archived: boolean): Promise<Category> {
    return inTransaction(ctx, async (tx) => {
      const before = await this.locked(tx, 'categories', id);
      if (before.archived === archived) throw new ConflictError(archived ? 'Already archived.' : 'Already active.');
      if (archived && before.items > 0) {
        throw new ConflictError(
          `${before.items} active items are in this category; move them to another category first.`,
        );
      }
      await repo.updateCategory(tx.db, id, { archived_at: archived ? this.iso() : null }, this.iso());
      await this.deps.audit.record(tx, {
        action: archived ? 'categories.archive' : 'categories.restore',
        target: { type: 'category', id },
      });
      return this.category(tx, id);
    });
  }

  // --- suppliers ----------------------------------------------------------------------------------

  async suppliers(ctx: Context, includeArchived: boolean, id?: string): Promise<Supplier[]> {
    const rows = await repo.listSuppliers(ctx.db, id === undefined ? { includeArchived } : { includeArchived, id });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      contactName: r.contact_name,
      email: r.email,
      phone: r.phone,
      address: r.address,
      notes: r.notes,
      archived: r.archived_at !== null,
      items: Number(r.item_count ?? 0),
    }));
  }

  async supplier(ctx: Context, id: string): Promise<Supplier> {
    const [found] = await this.suppliers(ctx, true, id);
    if (!found) throw new NotFoundError('There is no supplier with that id.');
    return found;
  }

  /**
   * Whether the supplier exists and is active, held so until the caller's transaction ends: an
   * order placed with it and its archiving (refused while it has open orders) run one after the
   * other, so no open order is left with an archived supplier.
   */
  async holdActiveSupplier(tx: TxContext, id: string): Promise<boolean> {
    await repo.lockCatalogRow(tx.db, this.deps.engine, 'suppliers', id);
    const [found] = await this.suppliers(tx, true, id);
    return found !== undefined && !found.archived;
  }

  async saveSupplier(ctx: Context, id: string | null, body: SupplierBody): Promise<Supplier> {
    const key = id ?? randomUUID();
    const values = {
      name: body.name,
      contact_name: body.contactName ?? '',
      email: body.email ?? '',
      phone: body.phone ?? '',
      address: body.address ?? '',
      notes: body.notes ?? '',
    };
    try {
      return await inTransaction(ctx, async (tx) => {
        const before = id ? await this.locked(tx, 'suppliers', id) : null;
        if (before) await repo.updateSupplier(tx.db, key, values, this.iso());
        else await repo.insertSupplier(tx.db, key, values, this.iso());
        await this.deps.audit.record(tx, {
          action: before ? 'suppliers.update' : 'suppliers.create',
          target: { type: 'supplier', id: key },
          before: before ?? undefined,
          after: body,
        });
        return this.supplier(tx, key);
      });
    } catch (err) {
      throw nameTaken('supplier')(err);
    }
  }

  /** Suppliers with orders or items are archived, never erased; one with an open order stays active. */
  async archiveSupplier(ctx: Context, id: string, archived: boolean): Promise<Supplier> {
    return inTransaction(ctx, async (tx) => {
      const before = await this.locked(tx, 'suppliers', id);
      if (before.archived === archived) throw new ConflictError(archived ? 'Already archived.' : 'Already active.');
      const open = archived ? await repo.openOrderNumberOf(tx.db, id) : null;
      if (open !== null) {
        throw new ConflictError(`Purchase order ${purchaseOrderReference(open)} with this supplier is still open.`);
      }
      await repo.updateSupplier(tx.db, id, { archived_at: archived ? this.iso() : null }, this.iso());
      await this.deps.audit.record(tx, {
        action: archived ? 'suppliers.archive' : 'suppliers.restore',
        target: { type: 'supplier', id },
      });
      return this.supplier(tx, id);
    });
  }
}
