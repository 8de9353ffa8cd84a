/**
 * Issue 10, inventory findings: bulk archive needs inventory.delete (M4), stock effects apply
 * exactly once under duplicates and real parallel HTTP requests (M5), invoices are served as
 * PDFs under a generated name (L8). On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockDiscrepancies } from '../src/server/modules/inventory/inventory.repository.ts';
import { createItem, createOrder, createSupplier, multipart } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, sessionHeaders } from './net.ts';

describe.each(ENGINES)('inventory hardening on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let supplierId: string;
  let base: string;

  const item = (extra: Record<string, unknown> = {}) => createItem(admin, extra);
  const placedOrder = (itemId: string, quantity: number) =>
    createOrder(admin, { supplierId, lines: [{ itemId, quantity }], place: true });
  /** A real HTTP request as the admin's browser would send it. */
  const post = (url: string, body?: unknown) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: {
        ...sessionHeaders(admin),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    supplierId = (await createSupplier(admin)).id;
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  // --- M4 -------------------------------------------------------------------------------------------

  it('refuses a bulk archive or restore without inventory.delete, and changes nothing (M4)', async () => {
    const a = await item();
    const b = await item();
    // A stores Superuser holds inventory.bulk_edit and inventory.edit, but not inventory.delete.
    const su = await createStaff(t.app, admin, 'superuser');
    const archive = await su.session.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [a.id, b.id], set: { active: false } },
    });
    expect(archive.statusCode).toBe(403);
    expect(archive.json()).toMatchObject({ permission: 'inventory.delete' });
    const mixed = await su.session.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [a.id], set: { reorderLevel: 3, active: false } },
    });
    expect(mixed.statusCode).toBe(403);
    for (const id of [a.id, b.id]) {
      const got = (await admin.inject({ method: 'GET', url: `/api/v1/items/${id}` })).json();
      expect(got).toMatchObject({ active: true, reorderLevel: 0 });
    }
    // The single-item route agrees.
    expect((await su.session.inject({ method: 'POST', url: `/api/v1/items/${a.id}/archive` })).statusCode).toBe(403);
    // Fields the bulk permission covers still work.
    const vat = await su.session.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [a.id, b.id], set: { reorderLevel: 2 } },
    });
    expect(vat.statusCode).toBe(200);
    expect(vat.json()).toMatchObject({ matched: 2, changed: 2 });
    // Whoever holds inventory.delete may bulk archive.
    const ok = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [a.id], set: { active: false } },
    });
    expect(ok.statusCode).toBe(200);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${a.id}` })).json().active).toBe(false);
  });

  it('refuses a bulk edit of item fields without inventory.edit, whatever bulk_edit grants (M4)', async () => {
    const a = await item();
    const u = await createStaff(t.app, admin, 'user');
    const grant = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/inventory.bulk_edit`,
      payload: { effect: 'grant', reason: 'stocktake week' },
    });
    expect(grant.statusCode, grant.body).toBeLessThan(300);
    const res = await u.session.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [a.id], set: { reorderLevel: 9 } },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ permission: 'inventory.edit' });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${a.id}` })).json().reorderLevel).toBe(0);
  });

  // --- M5 -------------------------------------------------------------------------------------------

  it('refuses the same PO line twice in one request, and receiving past the ordered quantity (M5)', async () => {
    const it = await item();
    const po = await placedOrder(it.id, 5);
    const lineId = po.lines[0]?.id;
    const twice = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: {
        lines: [
          { lineId, quantity: 5 },
          { lineId, quantity: 5 },
        ],
      },
    });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().detail).toMatch(/appears twice/);
    const over = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId, quantity: 6 }] },
    });
    expect(over.statusCode).toBe(422);
    expect(over.json().detail).toMatch(/Only 5 .* still due/);
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(order).toMatchObject({ status: 'ordered', lines: [{ received: 0 }] });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(0);
  });

  it('receives exactly the ordered 5 units when 20 receives of one unit race over HTTP (M5)', async () => {
    const it = await item();
    const po = await placedOrder(it.id, 5);
    const lineId = po.lines[0]?.id;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(`/api/v1/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 1 }] }),
      ),
    );
    const codes = answers.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(5);
    expect(codes.every((c) => c === 200 || c === 409 || c === 422)).toBe(true);
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(order).toMatchObject({ status: 'received', lines: [{ received: 5, quantity: 5 }] });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(5);
    const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}/movements` })).json().items;
    expect(moves.map((m: { kind: string; quantity: number }) => `${m.kind}:${m.quantity}`)).toEqual(
      Array(5).fill('receipt:1'),
    );
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('receives a whole 5-unit line once when 20 receives of all 5 race over HTTP (M5)', async () => {
    const it = await item();
    const po = await placedOrder(it.id, 5);
    const lineId = po.lines[0]?.id;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(`/api/v1/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 5 }] }),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.every((r) => r.status < 500)).toBe(true);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().onHand).toBe(5);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('posts a stocktake once when 20 posts race over HTTP; later posts get 409 (M5)', async () => {
    const it = await item({ openingStock: 10 });
    const sku = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json().sku as string;
    const count = await admin.inject({ method: 'POST', url: '/api/v1/stock-counts', payload: { note: 'race' } });
    expect(count.statusCode).toBe(201);
    const id = count.json().id as string;
    const recorded = await admin.inject({
      method: 'PUT',
      url: `/api/v1/stock-counts/${id}/lines`,
      payload: { lines: [{ itemId: it.id, counted: 110 }] },
    });
    expect(recorded.statusCode, recorded.body).toBe(200);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(`/api/v1/stock-counts/${id}/post`)));
    const codes = answers.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}` })).json();
    expect(after).toMatchObject({ sku, onHand: 110 });
    const again = await admin.inject({ method: 'POST', url: `/api/v1/stock-counts/${id}/post` });
    expect(again.statusCode).toBe(409);
    const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${it.id}/movements` })).json().items;
    expect(moves.map((m: { kind: string; quantity: number }) => `${m.kind}:${m.quantity}`)).toEqual([
      'count:100',
      'in:10',
    ]);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  // --- L8 -------------------------------------------------------------------------------------------

  it('checks invoices are PDFs and serves them as attachment PDFs under a generated name (L8)', async () => {
    const it = await item();
    const po = await placedOrder(it.id, 1);
    const upload = (name: string, data: string | Buffer, type = 'application/pdf') =>
      admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${po.id}/invoice`, ...multipart(name, data, type) });
    // A polyglot: PDF magic bytes on an HTML page, with no PDF end-of-file marker.
    const poly = await upload(
      'poly.html',
      '%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n',
      'text/html',
    );
    expect(poly.statusCode).toBe(415);
    expect(poly.json().detail).toMatch(/poly\.html is not a PDF file \(no end-of-file marker\)/);
    expect((await upload('tiny.pdf', '%PDF-')).statusCode).toBe(415);
    expect((await upload('fake.pdf', '<html>%%EOF</html>')).statusCode).toBe(415);
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(order.invoice).toBeNull();

    const pdf = Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const ok = await upload('evil".html', pdf, 'text/html');
    expect(ok.statusCode).toBe(200);
    const down = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/invoice` });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-type']).toBe('application/pdf');
    expect(down.headers['x-content-type-options']).toBe('nosniff');
    expect(down.headers['content-disposition']).toBe(`attachment; filename="${po.reference}-invoice.pdf"`);
    expect(down.rawPayload.equals(pdf)).toBe(true);
  });
});
