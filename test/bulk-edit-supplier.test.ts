/**
 * A bulk edit sets the preferred supplier (issue 19): a link the item already has keeps its
 * supplier SKU and price, a new link has none (orders then use the item's cost), the other links
 * stay, no longer preferred; null leaves no supplier preferred. It needs inventory.edit, as the
 * single-item route does (M4), and writes one audit event per changed item. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../src/shared/contracts/inventory.ts';
import { createItem, createSupplier } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('bulk edit of the preferred supplier on %s', (engine) => {
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  const get = async (id: string): Promise<Item> =>
    (await admin.inject({ method: 'GET', url: `/api/v1/items/${id}` })).json();
  const bulk = (s: Session, itemIds: string[], set: Record<string, unknown>) =>
    s.inject({ method: 'POST', url: '/api/v1/items/bulk-edit', payload: { itemIds, set } });
  const links = (i: Item) => i.suppliers.map((l) => [l.supplierName, l.supplierSku, l.supplierPrice, l.preferred]);

  it('makes one supplier preferred for every chosen item, keeping SKUs, prices and other links', async () => {
    const old = await createSupplier(admin, { name: 'Old Supply' });
    const next = await createSupplier(admin, { name: 'New Supply' });
    const a = await createItem(admin, {
      suppliers: [{ supplierId: old.id, supplierSku: 'OLD-1', supplierPrice: 900, preferred: true }],
    });
    const b = await createItem(admin);
    const c = await createItem(admin, {
      suppliers: [{ supplierId: next.id, supplierSku: 'NEW-3', supplierPrice: 450, preferred: true }],
    });
    const d = await createItem(admin, {
      suppliers: [{ supplierId: next.id, supplierSku: 'NEW-4', supplierPrice: 300, preferred: false }],
    });
    const res = await bulk(admin, [a.id, b.id, c.id, d.id], { preferredSupplierId: next.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ matched: 4, changed: 3 });
    expect(links(await get(a.id))).toEqual([
      ['New Supply', '', 0, true],
      ['Old Supply', 'OLD-1', 900, false],
    ]);
    expect(links(await get(b.id))).toEqual([['New Supply', '', 0, true]]);
    expect(links(await get(c.id))).toEqual([['New Supply', 'NEW-3', 450, true]]);
    expect(links(await get(d.id))).toEqual([['New Supply', 'NEW-4', 300, true]]);

    // One audit event per changed item, with the preferred supplier before and after.
    const events = (
      await admin.inject({ method: 'GET', url: `/api/v1/audit?action=inventory.bulk_edit&targetId=${a.id}` })
    ).json().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      before: { preferredSupplier: { supplierName: 'Old Supply', supplierSku: 'OLD-1', supplierPrice: 900 } },
      after: { preferredSupplier: { supplierName: 'New Supply', supplierSku: '', supplierPrice: 0 } },
    });
    for (const item of [b, d]) {
      const got = (
        await admin.inject({ method: 'GET', url: `/api/v1/audit?action=inventory.bulk_edit&targetId=${item.id}` })
      ).json().items;
      expect(got).toHaveLength(1);
    }
    const untouched = (
      await admin.inject({ method: 'GET', url: `/api/v1/audit?action=inventory.bulk_edit&targetId=${c.id}` })
    ).json().items;
    expect(untouched).toHaveLength(0);

    // null: no supplier is preferred any more; the links stay.
    const cleared = await bulk(admin, [a.id, b.id], { preferredSupplierId: null });
    expect(cleared.json()).toEqual({ matched: 2, changed: 2 });
    expect(links(await get(a.id))).toEqual([
      ['New Supply', '', 0, false],
      ['Old Supply', 'OLD-1', 900, false],
    ]);
  });

  it('refuses an unknown or archived supplier and changes nothing', async () => {
    const gone = await createSupplier(admin);
    await admin.inject({ method: 'POST', url: `/api/v1/suppliers/${gone.id}/archive` });
    const a = await createItem(admin);
    for (const id of [gone.id, 'no-such-supplier']) {
      const res = await bulk(admin, [a.id], { preferredSupplierId: id, reorderLevel: 7 });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().detail).toBe('That supplier does not exist or is archived.');
    }
    const after = await get(a.id);
    expect(after.suppliers).toEqual([]);
    expect(after.reorderLevel).toBe(0);
  });

  it('needs inventory.edit, as the single-item route does, whatever bulk_edit grants (M4)', async () => {
    const s = await createSupplier(admin);
    const a = await createItem(admin);
    const u = await createStaff(t.app, admin, 'user');
    const grant = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/inventory.bulk_edit`,
      payload: { effect: 'grant', reason: 'supplier change' },
    });
    expect(grant.statusCode, grant.body).toBeLessThan(300);
    const res = await bulk(u.session, [a.id], { preferredSupplierId: s.id });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ permission: 'inventory.edit' });
    // The single-item route agrees.
    const single = await u.session.inject({
      method: 'PATCH',
      url: `/api/v1/items/${a.id}`,
      payload: { suppliers: [{ supplierId: s.id, preferred: true }] },
    });
    expect(single.statusCode).toBe(403);
    expect((await get(a.id)).suppliers).toEqual([]);
  });
});
