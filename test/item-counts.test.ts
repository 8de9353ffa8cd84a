/**
 * The item list's total comes from a count cached behind `data_versions.item_counts`, which
 * database triggers bump in the transaction of every change that can change a count (issue 20,
 * part 3). Proven here: the cache really serves an unchanged version without counting again, and
 * a list on one server instance is right at once after writes made on another instance (its own
 * connections), sequentially and under parallel load.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { cachedItemCount, itemCountsVersion } from '../src/server/modules/inventory/item-counts.repository.ts';
import { createCategory, createItem, createSupplier } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, post, sessionHeaders } from './net.ts';

describe.each(ENGINES)('item counts on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  /** A second server instance on the same database, with its own connections. */
  let other: FastifyInstance;
  let onOther: Session;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    other = await buildApp(t.config, { database: openDatabase(t.config.database), migrate: false });
    await other.ready();
    onOther = {
      ...admin,
      inject: (opts) =>
        other.inject({
          ...opts,
          headers: { ...(opts.headers ?? {}), cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
        }),
    };
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const total = async (query = '') => {
    const res = await admin.inject({ method: 'GET', url: `/api/v1/items${query}` });
    expect(res.statusCode).toBe(200);
    return res.json().total as number;
  };

  it('serves a count again while its version stands, and counts afresh once the version moves', async () => {
    const { db } = t.app.services.database;
    // Categories do not move the item-count version: a count of them stays cached when one is added.
    const categories = sql`select count(*) from categories`;
    const first = await cachedItemCount(db, 'test:categories', categories);
    await createCategory(admin, { name: 'Not counted again' });
    expect(await cachedItemCount(db, 'test:categories', categories)).toBe(first);
    // Adding an item moves it: the next read counts again and sees the category.
    await createItem(admin);
    expect(await cachedItemCount(db, 'test:categories', categories)).toBe(first + 1);
  });

  it('moves the version for every change a filter can see, and not for stock that keeps its low-stock state', async () => {
    const { db } = t.app.services.database;
    const supplier = await createSupplier(admin, { name: 'Version Supplies' });
    const item = await createItem(admin, { reorderLevel: 5 });
    const moves = async (change: () => Promise<unknown>) => {
      const before = await itemCountsVersion(db);
      await change();
      return (await itemCountsVersion(db)) > before;
    };
    const patch = (payload: Record<string, unknown>) =>
      admin.inject({ method: 'PATCH', url: `/api/v1/items/${item.id}`, payload });
    const stock = (kind: 'in' | 'out', quantity: number) =>
      admin.inject({ method: 'POST', url: `/api/v1/items/${item.id}/stock`, payload: { kind, quantity } });
    expect(await moves(() => createItem(admin))).toBe(true);
    expect(await moves(() => patch({ name: 'Renamed for search' }))).toBe(true);
    expect(await moves(() => patch({ location: 'Shelf Z9' }))).toBe(true);
    expect(await moves(() => patch({ reorderLevel: 6 }))).toBe(true);
    expect(
      await moves(() => patch({ suppliers: [{ supplierId: supplier.id, supplierSku: 'V-1', supplierPrice: 1 }] })),
    ).toBe(true);
    // The item form sends the links on every save: the same links again move nothing, a new price
    // for one moves nothing a filter can see, and leaving them out removes the link (a move).
    const link = { supplierId: supplier.id, supplierSku: 'V-1', supplierPrice: 1 };
    expect(await moves(() => patch({ price: 250, suppliers: [link] }))).toBe(false);
    expect(await moves(() => patch({ suppliers: [{ ...link, supplierPrice: 2, preferred: true }] }))).toBe(false);
    const linked = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json();
    expect(linked.suppliers).toMatchObject([{ supplierId: supplier.id, supplierPrice: 2, preferred: true }]);
    expect(await moves(() => patch({ suppliers: [] }))).toBe(true);
    expect(await moves(() => patch({ suppliers: [] }))).toBe(false);
    expect(await moves(() => patch({ suppliers: [link] }))).toBe(true);
    // On hand 0 ≤ 6: low. 10 in: no longer low (flips); 1 more in: still not low (no move).
    expect(await moves(() => stock('in', 10))).toBe(true);
    expect(await moves(() => stock('in', 1))).toBe(false);
    expect(await moves(() => admin.inject({ method: 'POST', url: `/api/v1/items/${item.id}/archive` }))).toBe(true);
  });

  it('moves each version once for a transaction that changes many items (PostgreSQL; row by row on SQLite)', async () => {
    const { db } = t.app.services.database;
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await createItem(admin, { name: `Once ${i}` })).id);
    const versions = async () =>
      Object.fromEntries(
        (await db.selectFrom('data_versions').select(['name', 'version']).execute()).map((r) => [
          r.name,
          Number(r.version),
        ]),
      );
    const before = await versions();
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: ids, set: { reorderLevel: 7 } },
    });
    expect(res.json()).toMatchObject({ changed: 4 });
    const after = await versions();
    const steps = engine === 'postgres' ? 1 : 4;
    expect(after.item_counts).toBe((before.item_counts as number) + steps);
    expect(after.items).toBe((before.items as number) + steps);
    // The next transaction moves them again.
    await admin.inject({ method: 'PATCH', url: `/api/v1/items/${ids[0]}`, payload: { reorderLevel: 8 } });
    const next = await versions();
    expect(next.item_counts).toBe((after.item_counts as number) + 1);
    expect(next.items).toBe((after.items as number) + 1);
    expect(await total('?lowStock=true')).toBeGreaterThanOrEqual(4);
  });

  it('lists the right totals at once after writes on another instance', async () => {
    const category = await createCategory(admin, { name: 'Lanterns' });
    const supplier = await createSupplier(admin, { name: 'Lantern Works' });
    const all = await total();
    const found = await total('?q=brass%20lantern');
    const inCategory = await total(`?categoryId=${category.id}`);
    const low = await total('?lowStock=true');
    // Read twice so the counts are cached on this instance before the other one writes.
    expect(await total()).toBe(all);

    const made = await onOther.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { sku: 'LAN-1', name: 'Brass lantern', categoryId: category.id, reorderLevel: 3 },
    });
    expect(made.statusCode).toBe(201);
    const id = made.json().id as string;
    expect(await total()).toBe(all + 1);
    expect(await total('?q=brass%20lantern')).toBe(found + 1);
    expect(await total(`?categoryId=${category.id}`)).toBe(inCategory + 1);
    expect(await total('?lowStock=true')).toBe(low + 1);
    expect(await total(`?supplierId=${supplier.id}`)).toBe(0);

    const linked = await onOther.inject({
      method: 'PATCH',
      url: `/api/v1/items/${id}`,
      payload: { suppliers: [{ supplierId: supplier.id, supplierSku: 'LW-1', supplierPrice: 900 }] },
    });
    expect(linked.statusCode).toBe(200);
    expect(await total(`?supplierId=${supplier.id}`)).toBe(1);

    const stocked = await onOther.inject({
      method: 'POST',
      url: `/api/v1/items/${id}/stock`,
      payload: { kind: 'in', quantity: 5 },
    });
    expect(stocked.statusCode).toBe(200);
    expect(await total('?lowStock=true')).toBe(low);

    const renamed = await onOther.inject({
      method: 'PATCH',
      url: `/api/v1/items/${id}`,
      payload: { name: 'Tin lamp' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(await total('?q=brass%20lantern')).toBe(found);

    const archived = await onOther.inject({ method: 'POST', url: `/api/v1/items/${id}/archive` });
    expect(archived.statusCode).toBe(200);
    expect(await total()).toBe(all);
    expect(await total('?status=archived')).toBeGreaterThanOrEqual(1);
  });

  it('keeps the total right while another instance adds items in parallel', async () => {
    const base = await listenLocal(other);
    const headers = sessionHeaders(admin);
    const start = await total();
    const writes = Array.from({ length: 12 }, (_, i) =>
      post(base, '/api/v1/items', { sku: `PAR-${i}`, name: `Parallel ${i}` }, headers),
    );
    // Lists on this instance while the other writes: never more than were added, never fewer than before.
    const reads = Array.from({ length: 12 }, () => total());
    const [made, seen] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    expect(made.map((r) => r.status)).toEqual(Array(12).fill(201));
    for (const n of seen) expect(n).toBeGreaterThanOrEqual(start);
    for (const n of seen) expect(n).toBeLessThanOrEqual(start + 12);
    const { db } = t.app.services.database;
    const real = await db
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('active', '=', 1)
      .executeTakeFirstOrThrow();
    expect(await total()).toBe(start + 12);
    expect(Number(real.n)).toBe(start + 12);
  });
});
