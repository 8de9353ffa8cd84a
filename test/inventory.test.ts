/**
 * Inventory and purchase orders (issue 6) through the HTTP API, on every engine.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import { stockDiscrepancies } from '../src/server/modules/inventory/inventory.repository.ts';
import { createCategory, createItem, createSupplier, multipart } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('inventory on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let categoryId: string;
  let supplierId: string;
  const item = (sku: string, extra: Record<string, unknown> = {}) => createItem(admin, { sku, ...extra });
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    categoryId = (await createCategory(admin, { name: 'Reagents' })).id;
    supplierId = (await createSupplier(admin, { name: 'LabSupply Co', email: 'orders@labsupply.example' })).id;
  });
  afterAll(async () => t.close());

  it('keeps categories and suppliers unique by name, and archives only what nothing active uses', async () => {
    const dup = await admin.inject({ method: 'POST', url: '/api/v1/categories', payload: { name: 'Reagents' } });
    expect(dup.statusCode).toBe(422);
    expect(dup.json().errors[0].path).toBe('name');
    await item('CAT-1', { categoryId });
    const busy = await admin.inject({ method: 'POST', url: `/api/v1/categories/${categoryId}/archive` });
    expect(busy.statusCode).toBe(409);
    const badEmail = await admin.inject({
      method: 'POST',
      url: '/api/v1/suppliers',
      payload: { name: 'X', email: 'not-an-email' },
    });
    expect(badEmail.statusCode).toBe(400);
  });

  it('creates items with unique SKUs, opening stock on the ledger, and archives instead of deleting', async () => {
    const created = await admin.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: {
        sku: 'PIP-200',
        name: 'Pipette tips 200 µl',
        categoryId,
        unit: 'box',
        cost: 450,
        price: 799,
        vatRateBp: 2300,
        location: 'Shelf B2',
        reorderLevel: 5,
        openingStock: 12,
        suppliers: [{ supplierId, supplierSku: 'LS-PT200', supplierPrice: 420, preferred: true }],
      },
    });
    expect(created.statusCode).toBe(201);
    const it = created.json();
    expect(it).toMatchObject({ sku: 'PIP-200', onHand: 12, category: { name: 'Reagents' }, lowStock: false });
    expect(it.suppliers[0]).toMatchObject({ supplierName: 'LabSupply Co', supplierPrice: 420, preferred: true });
    const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}/movements` })).json().items;
    expect(moves).toMatchObject([{ kind: 'in', quantity: 12, before: 0, after: 12, reason: 'Opening stock' }]);
    const dup = await admin.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { sku: 'PIP-200', name: 'Again' },
    });
    expect(dup.statusCode).toBe(422);
    expect(dup.json().errors[0]).toEqual({ path: 'sku', message: 'Another item already has this SKU.' });
    const sneaky = await admin.inject({ method: 'PATCH', url: `/api/v1/items/${it.id}`, payload: { onHand: 1000 } });
    expect(sneaky.statusCode).toBe(400);
    const archived = await admin.inject({ method: 'POST', url: `/api/v1/items/${it.id}/archive` });
    expect(archived.json().active).toBe(false);
    const list = await admin.inject({ method: 'GET', url: '/api/v1/items?q=pipette' });
    expect(list.json().total).toBe(0);
    const all = await admin.inject({ method: 'GET', url: '/api/v1/items?q=pipette&status=all' });
    expect(all.json().total).toBe(1);
    await admin.inject({ method: 'POST', url: `/api/v1/items/${it.id}/restore` });
  });

  it('moves stock in, out and by adjustment, never below zero unless the setting allows it', async () => {
    const it = await item('STK-1', { openingStock: 3 });
    const out = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'out', quantity: 2 },
    });
    expect(out.json()).toMatchObject({
      item: { onHand: 1 },
      movement: { kind: 'out', quantity: -2, before: 3, after: 1 },
    });
    const before = await countAuditEvents(t.app.services.database.db);
    const tooMany = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'out', quantity: 5 },
    });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().detail).toBe('Only 1 pc of Item STK-1 in stock: that would take it below zero.');
    expect(await countAuditEvents(t.app.services.database.db)).toBe(before);
    const noReason = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'adjustment', quantity: -1 },
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].path).toBe('reason');
    const adj = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'adjustment', quantity: -1, reason: 'Broken in transport' },
    });
    expect(adj.json().item.onHand).toBe(0);
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/inventory', payload: { allowNegativeStock: true } });
    const negative = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'out', quantity: 2 },
    });
    expect(negative.json().item.onHand).toBe(-2);
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/inventory', payload: { allowNegativeStock: false } });
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('leaves the right figure after 50 concurrent adjustments of one item', async () => {
    const it = await item('CONC-1', { openingStock: 100 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin.inject({
          method: 'POST',
          url: `/api/v1/items/${it.id}/stock`,
          payload: i % 2 === 0 ? { kind: 'in', quantity: 3 } : { kind: 'out', quantity: 1 },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json();
    expect(after.onHand).toBe(100 + 25 * 3 - 25);
    const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}/movements?limit=200` })).json()
      .items;
    expect(moves).toHaveLength(51);
    // Each movement's before/after chain is consistent: sorted by id, each starts where the last ended.
    const chain = [...moves].reverse();
    for (let i = 1; i < chain.length; i++) expect(chain[i].before).toBe(chain[i - 1].after);
  });

  it('lets exactly one of 20 simultaneous takers have the last unit', async () => {
    const it = await item('LAST-1', { openingStock: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        admin.inject({ method: 'POST', url: `/api/v1/items/${it.id}/stock`, payload: { kind: 'out', quantity: 1 } }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(19);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(0);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('searches by substring of SKU, name or location, with filters, sorting and pages', async () => {
    await item('SRCH-ABC-001', { name: 'Nitrile gloves M', location: 'Aisle 3' });
    await item('SRCH-ABC-002', { name: 'Nitrile gloves L', location: 'Aisle 3' });
    await item('SRCH-XYZ-003', { name: 'Latex gloves S', location: 'Aisle 7', reorderLevel: 10 });
    const q = async (qs: string) => (await admin.inject({ method: 'GET', url: `/api/v1/items?${qs}` })).json();
    expect((await q('q=itrile')).items.map((i: { sku: string }) => i.sku).sort()).toEqual([
      'SRCH-ABC-001',
      'SRCH-ABC-002',
    ]);
    expect((await q('q=gloves%20aisle%207')).items.map((i: { sku: string }) => i.sku)).toEqual(['SRCH-XYZ-003']);
    expect((await q('q=abc-00')).total).toBe(2);
    expect((await q('q=S')).total).toBeGreaterThan(0); // one letter: a plain substring match
    expect((await q('lowStock=true&q=srch')).items.map((i: { sku: string }) => i.sku)).toEqual(['SRCH-XYZ-003']);
    const sorted = await q('q=srch&sort=sku&order=desc&pageSize=2&page=1');
    expect(sorted).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(sorted.items.map((i: { sku: string }) => i.sku)).toEqual(['SRCH-XYZ-003', 'SRCH-ABC-002']);
    expect((await q('q=srch&sort=sku&order=desc&pageSize=2&page=2')).items.map((i: { sku: string }) => i.sku)).toEqual([
      'SRCH-ABC-001',
    ]);
    // Search follows renames.
    const [first] = (await q('q=SRCH-ABC-001')).items;
    await admin.inject({ method: 'PATCH', url: `/api/v1/items/${first.id}`, payload: { name: 'Vinyl gloves M' } });
    expect((await q('q=vinyl')).items.map((i: { sku: string }) => i.sku)).toEqual(['SRCH-ABC-001']);
  });

  it('bulk-edits a filtered set in one transaction with one audit event per item', async () => {
    const cat = (await admin.inject({ method: 'POST', url: '/api/v1/categories', payload: { name: 'Bulk' } })).json()
      .id;
    for (const s of ['B-1', 'B-2', 'B-3']) await item(`BULK-${s}`, { categoryId: cat, vatRateBp: 600 });
    const since = await countAuditEvents(t.app.services.database.db, 'inventory.bulk_edit');
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { filter: { categoryId: cat }, set: { vatRateBp: 2300, reorderLevel: 4 } },
    });
    expect(res.json()).toEqual({ matched: 3, changed: 3 });
    expect((await countAuditEvents(t.app.services.database.db, 'inventory.bulk_edit')) - since).toBe(3);
    const bad = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { filter: { categoryId: cat }, set: { vatRateBp: 0, categoryId: 'missing' } },
    });
    expect(bad.statusCode).toBe(422);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items?categoryId=${cat}` })).json().items;
    expect(
      after.every((i: { vatRateBp: number; reorderLevel: number }) => i.vatRateBp === 2300 && i.reorderLevel === 4),
    ).toBe(true);
  });

  it('previews an import with errors by row and column, writes nothing while any row is wrong, then imports', async () => {
    const csv = [
      'sku,name,category,cost,price,vat_rate,on_hand,colour',
      'IMP-1,Ethanol 1L,Reagents,5.20,9.90,23,4,',
      ',No sku,,1,1,6,0,',
      'IMP-3,Bad price,Nowhere,1,abc,6,0,',
      'IMP-1,Duplicate,,1,1,6,0,',
    ].join('\r\n');
    const preview = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('items.csv', csv),
    });
    expect(preview.statusCode).toBe(200);
    const errors = preview.json().errors as { row: number; column: string }[];
    expect(errors.map((e) => `${e.row}:${e.column}`)).toEqual(['1:colour', '3:sku', '4:category', '4:price', '5:sku']);
    const refused = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('items.csv', csv) });
    expect(refused.statusCode).toBe(422);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/items?q=IMP-1' })).json().total).toBe(0);

    const good = [
      'sku;name;category;cost;price;vat_rate;price_includes_vat;on_hand',
      'IMP-1;Ethanol 1L;Reagents;5,20;9,90;23;yes;4',
      'CAT-1;Renamed by import;;;;;;',
    ].join('\n');
    const ok = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('items.csv', good) });
    expect(ok.json()).toEqual({ created: 1, updated: 1 });
    const [imported] = (await admin.inject({ method: 'GET', url: '/api/v1/items?q=IMP-1' })).json().items;
    expect(imported).toMatchObject({
      cost: 520,
      price: 990,
      vatRateBp: 2300,
      onHand: 4,
      category: { name: 'Reagents' },
    });
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
    const notPdf = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      ...multipart('x.bin', Buffer.from([0, 1, 2, 0])),
    });
    expect(notPdf.statusCode).toBe(422);
  });

  it("refuses an import that changes an existing item's on hand, in order with the other errors", async () => {
    const existing = await item('IMP-OH', { openingStock: 3 });
    const csv = ['sku,name,price,on_hand', 'IMP-OH,Same item,1,7', 'IMP-OH2,New,abc,0'].join('\r\n');
    const preview = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('i.csv', csv),
    });
    expect(preview.statusCode).toBe(200);
    const errors = preview.json().errors as { row: number; column: string; message: string }[];
    expect(errors.map((e) => `${e.row}:${e.column}`)).toEqual(['2:on_hand', '3:price']);
    expect(errors[0]?.message).toMatch(/On hand is 3 in Steward/);
    const refused = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('i.csv', csv) });
    expect(refused.statusCode).toBe(422);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${existing.id}` })).json();
    expect(after.item ?? after).toMatchObject({ name: existing.name, onHand: 3 });
    const same = ['sku,name,on_hand', 'IMP-OH,Same item,3'].join('\r\n');
    const ok = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('i.csv', same) });
    expect(ok.json()).toEqual({ created: 0, updated: 1 });
  });

  it('runs a stocktake: snapshot, counts, differences posted as movements, once', async () => {
    const a = await item('CNT-1', { openingStock: 10, location: 'Cold room' });
    const b = await item('CNT-2', { openingStock: 4, location: 'Cold room' });
    const open = await admin.inject({
      method: 'POST',
      url: '/api/v1/stock-counts',
      payload: { location: 'Cold room', note: 'Q4' },
    });
    expect(open.statusCode).toBe(201);
    const id = open.json().id;
    expect(open.json().items).toHaveLength(2);
    // A sale-like movement during the count is kept: the posted change is counted − expected.
    await admin.inject({ method: 'POST', url: `/api/v1/items/${a.id}/stock`, payload: { kind: 'out', quantity: 1 } });
    const rec = await admin.inject({
      method: 'PUT',
      url: `/api/v1/stock-counts/${id}/lines`,
      payload: {
        lines: [
          { itemId: a.id, counted: 8 },
          { itemId: b.id, counted: 4 },
        ],
      },
    });
    expect(rec.json().items.find((l: { itemId: string }) => l.itemId === a.id).difference).toBe(-2);
    const posted = await admin.inject({ method: 'POST', url: `/api/v1/stock-counts/${id}/post` });
    expect(posted.json().status).toBe('posted');
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${a.id}` })).json().onHand).toBe(7);
    expect(
      (await admin.inject({ method: 'GET', url: `/api/v1/items/${a.id}/movements` })).json().items[0],
    ).toMatchObject({
      kind: 'count',
      quantity: -2,
      reference: { type: 'stock_count', id },
    });
    expect((await admin.inject({ method: 'POST', url: `/api/v1/stock-counts/${id}/post` })).statusCode).toBe(409);
  });

  it('runs a purchase order from draft to received, with receipts on the ledger and a PDF invoice', async () => {
    const it = await item('PO-ITEM', {
      reorderLevel: 5,
      suppliers: [{ supplierId, supplierPrice: 300, preferred: true }],
    });
    const sugg = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders/suggestions' })).json().groups;
    const group = sugg.find((g: { supplier: { id: string } | null }) => g.supplier?.id === supplierId);
    expect(group.lines.find((l: { itemId: string }) => l.itemId === it.id)).toMatchObject({
      quantity: 10,
      unitCost: 300,
    });

    const created = await admin.inject({
      method: 'POST',
      url: '/api/v1/purchase-orders',
      payload: { supplierId, lines: [{ itemId: it.id, quantity: 10, unitCost: 300 }] },
    });
    expect(created.statusCode).toBe(201);
    const po = created.json();
    expect(po).toMatchObject({ status: 'draft', total: 3000 });
    expect(po.reference).toMatch(/^PO-\d{6}$/);
    const early = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId: po.lines[0].id, quantity: 1 }] },
    });
    expect(early.statusCode).toBe(409);
    await admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${po.id}/place` });
    const part = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId: po.lines[0].id, quantity: 4 }] },
    });
    expect(part.json()).toMatchObject({ status: 'partially_received', lines: [{ received: 4 }] });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(4);
    const over = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId: po.lines[0].id, quantity: 7 }] },
    });
    expect(over.statusCode).toBe(422);
    const rest = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId: po.lines[0].id, quantity: 6 }] },
    });
    expect(rest.json().status).toBe('received');
    expect(
      (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}/movements` }))
        .json()
        .items.map((m: { kind: string; quantity: number }) => `${m.kind}:${m.quantity}`),
    ).toEqual(['receipt:6', 'receipt:4']);
    expect((await admin.inject({ method: 'DELETE', url: `/api/v1/purchase-orders/${po.id}` })).statusCode).toBe(409);

    const fake = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/invoice`,
      ...multipart('invoice.pdf', 'not really a pdf', 'application/pdf'),
    });
    expect(fake.statusCode).toBe(415);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const up = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/invoice`,
      ...multipart('LabSupply 0042.pdf', pdf, 'application/pdf'),
    });
    expect(up.json().invoice).toMatchObject({ name: 'LabSupply 0042.pdf', size: pdf.length });
    const down = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/invoice` });
    expect(down.headers['content-type']).toBe('application/pdf');
    expect(down.rawPayload.equals(pdf)).toBe(true);

    const draft = (
      await admin.inject({
        method: 'POST',
        url: '/api/v1/purchase-orders',
        payload: { supplierId, lines: [{ itemId: it.id, quantity: 1, unitCost: 300 }] },
      })
    ).json();
    expect((await admin.inject({ method: 'DELETE', url: `/api/v1/purchase-orders/${draft.id}` })).statusCode).toBe(200);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${draft.id}` })).statusCode).toBe(404);
  });

  it('lets a stores User look but not adjust', async () => {
    const user = await createStaff(t.app, admin, 'user');
    const it = await item('RO-1', { openingStock: 2 });
    expect((await user.session.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).statusCode).toBe(200);
    const adj = await user.session.inject({
      method: 'POST',
      url: `/api/v1/items/${it.id}/stock`,
      payload: { kind: 'adjustment', quantity: 5, reason: 'please' },
    });
    expect(adj.statusCode).toBe(403);
    expect(adj.json()).toMatchObject({ permission: 'inventory.manage_stock' });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(2);
  });
});
