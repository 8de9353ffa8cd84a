import { randomUUID } from 'node:crypto';
import {
  type Category,
  type CategoryBody,
  OPEN_ORDER_STATUSES,
  purchaseOrderReference,
  type Supplier,
  type SupplierBody,
} from '../../../shared/contracts/inventory.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { listCategories, listSuppliers } from './inventory.repository.ts';

type Deps = { database: Database; audit: AuditService; now: () => number };

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

  async categories(includeArchived: boolean, db: Tx = this.deps.database.db, id?: string): Promise<Category[]> {
    const rows = await listCategories(db, id === undefined ? { includeArchived } : { includeArchived, id });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      archived: r.archived_at !== null,
      items: Number(r.item_count ?? 0),
    }));
  }

  /** One category; inside a transaction pass it as `db` (SQLite has one connection). */
  async category(id: string, db: Tx = this.deps.database.db): Promise<Category> {
    const [found] = await this.categories(true, db, id);
    if (!found) throw new NotFoundError('There is no category with that id.');
    return found;
  }

  async saveCategory(actor: Actor, id: string | null, body: CategoryBody, ctx: RequestContext): Promise<Category> {
    const key = id ?? randomUUID();
    const now = this.iso();
    try {
      await transaction(this.deps.database.db, async (trx) => {
        const before = id ? await this.category(id, trx) : null;
        if (before) {
          await trx
            .updateTable('categories')
            .set({ name: body.name, description: body.description ?? '', updated_at: now })
            .where('id', '=', key)
            .execute();
        } else {
          await trx
            .insertInto('categories')
            .values({
              id: key,
              name: body.name,
              description: body.description ?? '',
              archived_at: null,
              created_at: now,
              updated_at: now,
            })
            .execute();
        }
        await this.deps.audit.record(trx, {
          action: before ? 'categories.update' : 'categories.create',
          actor,
          target: { type: 'category', id: key },
          before: before ? { name: before.name, description: before.description } : undefined,
          after: body,
          context: ctx,
        });
      });
    } catch (err) {
      throw nameTaken('category')(err);
    }
    return this.category(key);
  }

  /** Archives a category; it must have no active items (move them first). */
  async archiveCategory(actor: Actor, id: string, archived: boolean, ctx: RequestContext): Promise<Category> {
    await transaction(this.deps.database.db, async (trx) => {
      const before = await this.category(id, trx);
      if (before.archived === archived) throw new ConflictError(archived ? 'Already archived.' : 'Already active.');
      if (archived && before.items > 0) {
        throw new ConflictError(
          `${before.items} active items are in this category; move them to another category first.`,
        );
      }
      await trx
        .updateTable('categories')
        .set({ archived_at: archived ? this.iso() : null, updated_at: this.iso() })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: archived ? 'categories.archive' : 'categories.restore',
        actor,
        target: { type: 'category', id },
        context: ctx,
      });
    });
    return this.category(id);
  }

  async suppliers(includeArchived: boolean, db: Tx = this.deps.database.db, id?: string): Promise<Supplier[]> {
    const rows = await listSuppliers(db, id === undefined ? { includeArchived } : { includeArchived, id });
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

  async supplier(id: string, db: Tx = this.deps.database.db): Promise<Supplier> {
    const [found] = await this.suppliers(true, db, id);
    if (!found) throw new NotFoundError('There is no supplier with that id.');
    return found;
  }

  async saveSupplier(actor: Actor, id: string | null, body: SupplierBody, ctx: RequestContext): Promise<Supplier> {
    const key = id ?? randomUUID();
    const now = this.iso();
    const values = {
      name: body.name,
      contact_name: body.contactName ?? '',
      email: body.email ?? '',
      phone: body.phone ?? '',
      address: body.address ?? '',
      notes: body.notes ?? '',
    };
    try {
      await transaction(this.deps.database.db, async (trx) => {
        const before = id ? await this.supplier(id, trx) : null;
        if (before)
          await trx
            .updateTable('suppliers')
            .set({ ...values, updated_at: now })
            .where('id', '=', key)
            .execute();
        else {
          await trx
            .insertInto('suppliers')
            .values({ id: key, ...values, archived_at: null, created_at: now, updated_at: now })
            .execute();
        }
        await this.deps.audit.record(trx, {
          action: before ? 'suppliers.update' : 'suppliers.create',
          actor,
          target: { type: 'supplier', id: key },
          before: before ?? undefined,
          after: body,
          context: ctx,
        });
      });
    } catch (err) {
      throw nameTaken('supplier')(err);
    }
    return this.supplier(key);
  }

  /** Suppliers with orders or items are archived, never erased. */
  async archiveSupplier(actor: Actor, id: string, archived: boolean, ctx: RequestContext): Promise<Supplier> {
    await transaction(this.deps.database.db, async (trx) => {
      const before = await this.supplier(id, trx);
      if (before.archived === archived) throw new ConflictError(archived ? 'Already archived.' : 'Already active.');
      if (archived) {
        const open = await trx
          .selectFrom('purchase_orders')
          .select('number')
          .where('supplier_id', '=', id)
          .where('status', 'in', OPEN_ORDER_STATUSES)
          .executeTakeFirst();
        if (open)
          throw new ConflictError(
            `Purchase order ${purchaseOrderReference(Number(open.number))} with this supplier is still open.`,
          );
      }
      await trx
        .updateTable('suppliers')
        .set({ archived_at: archived ? this.iso() : null, updated_at: this.iso() })
        .where('id', '=', id)
        .execute();
      await this.deps.audit.record(trx, {
        action: archived ? 'suppliers.archive' : 'suppliers.restore',
        actor,
        target: { type: 'supplier', id },
        context: ctx,
      });
    });
    return this.supplier(id);
  }
}
