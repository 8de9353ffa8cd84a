/**
 * Issue 19, purchasing friction (stores): an order's expected delivery date and supplier reference
 * (set, shown, bounded, audited; overdue orders marked), over-deliveries recorded with a reason
 * (exactly once under parallel receives, on every engine), the order as a PDF, and suggested
 * orders paged and grouped by supplier.
 */
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockDiscrepancies } from '../src/server/modules/inventory/inventory.repository.ts';
import type { PurchaseOrder } from '../src/shared/contracts/inventory.ts';
import { createItem, createOrder, createSupplier, setOverride } from './factories.ts';
import {
  ADMIN_PASSWORD,
  createBusinessApp,
  createStaff,
  ENGINES,
  login,
  type Session,
  type TestApp,
} from './harness.ts';
import { listenLocal, post, sessionHeaders } from './net.ts';

describe.each(ENGINES)('purchasing friction on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let email: string;
  beforeAll(async () => {
    ({ t, admin, email } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  const getOrder = async (id: string) =>
    (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${id}` })).json() as PurchaseOrder;
  const auditOf = async (id: string, action: string) => {
    const res = await admin.inject({
      method: 'GET',
      url: `/api/v1/audit?targetType=purchase_order&targetId=${id}&action=${action}`,
    });
    return res.json().items as { before: unknown; after: unknown; reason: string | null }[];
  };
  const onHand = async (itemId: string) =>
    (await admin.inject({ method: 'GET', url: `/api/v1/items/${itemId}` })).json().onHand as number;

  describe('expected delivery date and supplier reference', () => {
    it('are set on create and edit, shown on the order and in the list, and audited', async () => {
      const supplier = await createSupplier(admin);
      const item = await createItem(admin);
      const body = {
        supplierId: supplier.id,
        expectedAt: '2026-12-20',
        supplierReference: '  Quote Q-7781  ',
        lines: [{ itemId: item.id, quantity: 5, unitCost: 250 }],
      };
      const created = await admin.inject({ method: 'POST', url: '/api/v1/purchase-orders', payload: body });
      expect(created.statusCode).toBe(201);
      const po = created.json() as PurchaseOrder;
      expect(po).toMatchObject({ expectedAt: '2026-12-20', supplierReference: 'Quote Q-7781', overdue: false });
      expect(await getOrder(po.id)).toMatchObject({ expectedAt: '2026-12-20', supplierReference: 'Quote Q-7781' });
      const list = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=open' })).json();
      expect(list.items.find((o: PurchaseOrder) => o.id === po.id)).toMatchObject({
        expectedAt: '2026-12-20',
        supplierReference: 'Quote Q-7781',
      });
      expect((await auditOf(po.id, 'orders.create'))[0]?.after).toMatchObject({
        expectedAt: '2026-12-20',
        supplierReference: 'Quote Q-7781',
      });

      await admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${po.id}/place` });
      const edited = await admin.inject({
        method: 'PUT',
        url: `/api/v1/purchase-orders/${po.id}`,
        payload: { ...body, expectedAt: '2027-01-04', supplierReference: 'SO-1200' },
      });
      expect(edited.statusCode).toBe(200);
      expect(edited.json()).toMatchObject({
        status: 'ordered',
        expectedAt: '2027-01-04',
        supplierReference: 'SO-1200',
      });
      const [update] = await auditOf(po.id, 'orders.update');
      expect(update?.before).toMatchObject({ expectedAt: '2026-12-20', supplierReference: 'Quote Q-7781' });
      expect(update?.after).toMatchObject({ expectedAt: '2027-01-04', supplierReference: 'SO-1200' });

      // Cleared with null (or an empty reference).
      const cleared = await admin.inject({
        method: 'PUT',
        url: `/api/v1/purchase-orders/${po.id}`,
        payload: { ...body, expectedAt: null, supplierReference: '' },
      });
      expect(cleared.json()).toMatchObject({ expectedAt: null, supplierReference: null });
    });

    it('refuses a reference over 100 characters and a date that is not a calendar date, writing nothing', async () => {
      const supplier = await createSupplier(admin);
      const item = await createItem(admin);
      const base = { supplierId: supplier.id, lines: [{ itemId: item.id, quantity: 1, unitCost: 100 }] };
      const before = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=all' })).json().items
        .length;
      for (const bad of [
        { supplierReference: 'R'.repeat(101) },
        { expectedAt: '2026-02-30' },
        { expectedAt: '2026-13-01' },
        { expectedAt: '2026-12-2' },
        { expectedAt: '2026-12-02T10:00:00Z' },
      ]) {
        const res = await admin.inject({
          method: 'POST',
          url: '/api/v1/purchase-orders',
          payload: { ...base, ...bad },
        });
        expect(res.statusCode, JSON.stringify(bad)).toBe(400);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
      }
      const ok = await admin.inject({
        method: 'POST',
        url: '/api/v1/purchase-orders',
        payload: { ...base, supplierReference: 'R'.repeat(100), expectedAt: '2028-02-29' },
      });
      expect(ok.statusCode).toBe(201);
      const after = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=all' })).json().items
        .length;
      expect(after).toBe(before + 1);
    });

    it('can no longer be changed once goods were received', async () => {
      const po = await createOrder(admin, { place: true });
      const line = po.lines[0];
      await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [{ lineId: line?.id, quantity: 1 }] },
      });
      const res = await admin.inject({
        method: 'PUT',
        url: `/api/v1/purchase-orders/${po.id}`,
        payload: {
          supplierId: po.supplier.id,
          supplierReference: 'late',
          lines: [{ itemId: line?.itemId, quantity: 10, unitCost: 100 }],
        },
      });
      expect(res.statusCode).toBe(409);
      expect((await getOrder(po.id)).supplierReference).toBeNull();
    });

    it('marks an order overdue once its expected date has passed while goods are still due', async () => {
      // The test clock stands at 2026-11-23 10:00 UTC; the business's time zone is UTC.
      const supplier = await createSupplier(admin);
      const item = await createItem(admin);
      const make = async (expectedAt: string, place: boolean) => {
        const po = (
          await admin.inject({
            method: 'POST',
            url: '/api/v1/purchase-orders',
            payload: { supplierId: supplier.id, expectedAt, lines: [{ itemId: item.id, quantity: 2, unitCost: 1 }] },
          })
        ).json() as PurchaseOrder;
        if (place) await admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${po.id}/place` });
        return po.id;
      };
      const late = await make('2026-11-22', true);
      const today = await make('2026-11-23', true);
      const draft = await make('2026-11-01', false);
      expect((await getOrder(late)).overdue).toBe(true);
      expect((await getOrder(today)).overdue).toBe(false);
      expect((await getOrder(draft)).overdue).toBe(false);
      const list = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=open' })).json()
        .items as PurchaseOrder[];
      expect(list.find((o) => o.id === late)?.overdue).toBe(true);
      t.clock.advance(24 * 3600_000);
      admin = await login(t.app, email, ADMIN_PASSWORD); // a day idle ends the session
      expect((await getOrder(today)).overdue).toBe(true);
      // Received in full: nothing is late any more.
      const o = await getOrder(late);
      await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${late}/receive`,
        payload: { lines: [{ lineId: o.lines[0]?.id, quantity: 2 }] },
      });
      expect((await getOrder(late)).overdue).toBe(false);
    });
  });

  describe('over-delivery', () => {
    it('is refused without a reason and writes nothing', async () => {
      const item = await createItem(admin);
      const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 10 }], place: true });
      const res = await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [{ lineId: po.lines[0]?.id, quantity: 12 }] },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(/Only 10 .* still due; to receive 12, record an over-delivery and say why/);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'lines.0.overDeliveryReason' })]);
      for (const reason of ['', '   ', 'x'.repeat(501)]) {
        const bad = await admin.inject({
          method: 'POST',
          url: `/api/v1/purchase-orders/${po.id}/receive`,
          payload: { lines: [{ lineId: po.lines[0]?.id, quantity: 12, overDeliveryReason: reason }] },
        });
        expect(bad.statusCode, reason).toBe(400);
      }
      expect(await onHand(item.id)).toBe(0);
      expect(await getOrder(po.id)).toMatchObject({ status: 'ordered', lines: [{ received: 0 }] });
    });

    it('with a reason puts the extra into stock, shows received > ordered, and carries the reason to ledger and audit', async () => {
      const item = await createItem(admin);
      const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 10 }], place: true });
      const lineId = po.lines[0]?.id;
      const part = await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [{ lineId, quantity: 4 }] },
      });
      expect(part.statusCode).toBe(200);
      const res = await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [{ lineId, quantity: 8, overDeliveryReason: 'Supplier sent a full case of 12' }] },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'received', lines: [{ quantity: 10, received: 12 }] });
      expect(await onHand(item.id)).toBe(12);
      const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}/movements` })).json().items;
      expect(moves[0]).toMatchObject({
        kind: 'receipt',
        quantity: 8,
        reason: expect.stringMatching(
          /Over-delivery on PO-\d{6} \(2 .*more than ordered\): Supplier sent a full case of 12/,
        ),
      });
      const [receive] = await auditOf(po.id, 'orders.receive');
      expect(receive?.reason).toMatch(/Over-delivery of .*: Supplier sent a full case of 12/);
      expect(receive?.after).toMatchObject({
        received: [{ quantity: 8, overDelivered: 2, overDeliveryReason: 'Supplier sent a full case of 12' }],
      });
      expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
    });

    it('counts what is over-delivered as nothing still due in the suggestions', async () => {
      const item = await createItem(admin, { reorderLevel: 5, reorderQuantity: 20 });
      const other = await createItem(admin);
      const po = await createOrder(admin, {
        lines: [
          { itemId: item.id, quantity: 2 },
          { itemId: other.id, quantity: 30 },
        ],
        place: true,
      });
      await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [{ lineId: po.lines[0]?.id, quantity: 3, overDeliveryReason: 'one extra' }] },
      });
      // 3 on hand, level 5: 20 to order; the over-delivered line owes nothing (not −1).
      const s = (await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders/suggestions?limit=50' })).json();
      const line = s.groups
        .flatMap((g: { lines: { itemId: string }[] }) => g.lines)
        .find((l: { itemId: string }) => l.itemId === item.id);
      expect(line).toMatchObject({ onHand: 3, quantity: 20 });
    });
  });

  describe('the order as a PDF', () => {
    it('is a valid PDF with the business, supplier, lines and total, as an attachment named after the order', async () => {
      const supplier = await createSupplier(admin, {
        name: 'Acme Lab Supplies',
        contactName: 'Rita Ramos',
        email: 'orders@acme.example',
        phone: '+351 21 000 0000',
        address: 'Rua Augusta 1\n1100-048 Lisboa',
      });
      const item = await createItem(admin, {
        name: 'Nitrile gloves (M)',
        suppliers: [{ supplierId: supplier.id, supplierSku: 'ACME-GL-M', supplierPrice: 1250 }],
      });
      const other = await createItem(admin, { name: 'Pipette tips' });
      const po = (
        await admin.inject({
          method: 'POST',
          url: '/api/v1/purchase-orders',
          payload: {
            supplierId: supplier.id,
            expectedAt: '2026-12-20',
            supplierReference: 'Quote Q-7781',
            notes: 'Deliver to the back door.',
            lines: [
              { itemId: item.id, quantity: 4, unitCost: 1250 },
              { itemId: other.id, quantity: 3, unitCost: 999 },
            ],
          },
        })
      ).json() as PurchaseOrder;
      const res = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/pdf` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${po.reference}.pdf"`);
      const pdf = res.rawPayload;
      const parsed = checkPdf(pdf);
      expect(parsed.pages).toBe(1);
      const text = parsed.text;
      for (const s of [
        'Test Business',
        po.reference,
        'Acme Lab Supplies',
        'Rita Ramos',
        'orders@acme.example',
        'Rua Augusta 1',
        'Quote Q-7781',
        '20 Dec 2026',
        'Nitrile gloves \\(M\\)',
        'ACME-GL-M',
        'Pipette tips',
        '€12.50',
        '€50.00',
        '€29.97',
        '€79.97', // the total: 4 × 12.50 + 3 × 9.99
        'Deliver to the back door.',
      ]) {
        expect(text, s).toContain(s.replace('€', '\\200'));
      }
      expect(po.total).toBe(7997);
    });

    it("carries the business's contact details from Settings → Business under its name", async () => {
      const saved = await admin.inject({
        method: 'PUT',
        url: '/api/v1/settings/business',
        payload: {
          name: 'Northside Lab Stores',
          timezone: 'UTC',
          address: 'Rua das Flores 12\n1200-195 Lisboa',
          phone: '+351 21 999 0000',
          email: 'buying@northside.example',
          taxId: 'PT 501 234 567',
        },
      });
      expect(saved.statusCode).toBe(200);
      const supplier = await createSupplier(admin, { name: 'Contact Details Co' });
      const item = await createItem(admin, { name: 'Beakers' });
      const po = await createOrder(admin, {
        supplierId: supplier.id,
        lines: [{ itemId: item.id, quantity: 2, unitCost: 300 }],
      });
      const res = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/pdf` });
      const { text } = checkPdf(res.rawPayload);
      for (const s of [
        'Northside Lab Stores',
        'Rua das Flores 12',
        '1200-195 Lisboa',
        '+351 21 999 0000 \\267 buying@northside.example',
        'Tax no. PT 501 234 567',
      ]) {
        expect(text, s).toContain(s);
      }
      await admin.inject({
        method: 'PUT',
        url: '/api/v1/settings/business',
        payload: { name: 'Test Business', timezone: 'UTC' },
      });
    });

    it('paginates a 300-line order, every line and the total on some page', async () => {
      const supplier = await createSupplier(admin);
      const items = [];
      for (let i = 0; i < 300; i++)
        items.push(await createItem(admin, { name: `Long order item ${String(i).padStart(3, '0')}` }));
      const po = (
        await admin.inject({
          method: 'POST',
          url: '/api/v1/purchase-orders',
          payload: {
            supplierId: supplier.id,
            lines: items.map((it) => ({ itemId: it.id, quantity: 1, unitCost: 100 })),
          },
        })
      ).json() as PurchaseOrder;
      const res = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/pdf` });
      expect(res.statusCode).toBe(200);
      const parsed = checkPdf(res.rawPayload);
      expect(parsed.pages).toBeGreaterThanOrEqual(6);
      for (let i = 0; i < 300; i++) expect(parsed.text).toContain(`(Long order item ${String(i).padStart(3, '0')})`);
      expect(parsed.text).toContain('(€300.00)'.replace('€', '\\200'));
      expect(parsed.text).toContain(`(Page ${parsed.pages} of ${parsed.pages})`);
      // Each page's content stays on its page: no text below the bottom margin or above the top.
      for (const m of parsed.text.matchAll(/ ([\d.]+) ([\d.]+) Td /g)) {
        expect(Number(m[2])).toBeGreaterThanOrEqual(30);
        expect(Number(m[2])).toBeLessThanOrEqual(842);
      }
    });

    it('is hidden from a user who may not view orders, and 404 for an order that does not exist', async () => {
      const po = await createOrder(admin);
      const staff = await createStaff(t.app, admin, 'user');
      expect(
        (await staff.session.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/pdf` })).statusCode,
      ).toBe(200);
      await setOverride(admin, staff.id, 'orders.view', { effect: 'deny', reason: 'not purchasing' });
      const res = await staff.session.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/pdf` });
      expect([403, 404]).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.rawPayload.subarray(0, 5).toString()).not.toBe('%PDF-');
      const missing = await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders/no-such-order/pdf' });
      expect(missing.statusCode).toBe(404);
    });
  });

  describe('suggested orders', () => {
    it('page 120 low-stock items grouped by supplier, with counts, a bounded page size and the total', async () => {
      const { t: fresh, admin: owner } = await createBusinessApp(engine, 'stores');
      try {
        const suppliers = [];
        for (const name of ['Alpha Supply', 'Beta Trading', 'Gamma Goods'])
          suppliers.push(await createSupplier(owner, { name }));
        // 120 items at or below their level: 50 from Alpha, 40 from Beta, 20 from Gamma, 10 with no supplier.
        const plan = [50, 40, 20, 10];
        for (const [g, n] of plan.entries()) {
          for (let i = 0; i < n; i++) {
            const supplier = suppliers[g];
            await createItem(owner, {
              name: `Low ${g}-${String(i).padStart(2, '0')}`,
              reorderLevel: 5,
              reorderQuantity: 12,
              ...(supplier ? { suppliers: [{ supplierId: supplier.id, supplierPrice: 300 }] } : {}),
            });
          }
        }
        const page = async (q: string) => {
          const res = await owner.inject({ method: 'GET', url: `/api/v1/purchase-orders/suggestions${q}` });
          expect(res.statusCode, res.body).toBe(200);
          return res.json();
        };
        const first = await page('?limit=2');
        expect(first).toMatchObject({ totalGroups: 4, totalItems: 120, offset: 0, limit: 2 });
        expect(
          first.groups.map((g: { supplier: { name: string } | null; count: number }) => [g.supplier?.name, g.count]),
        ).toEqual([
          ['Alpha Supply', 50],
          ['Beta Trading', 40],
        ]);
        expect(first.groups[0].lines).toHaveLength(50);
        expect(first.groups[0].lines[0]).toMatchObject({ name: 'Low 0-00', quantity: 12, unitCost: 300 });
        const second = await page('?offset=2&limit=2');
        expect(
          second.groups.map((g: { supplier: { name: string } | null; count: number }) => [
            g.supplier?.name ?? null,
            g.count,
          ]),
        ).toEqual([
          ['Gamma Goods', 20],
          [null, 10],
        ]);
        expect((await page('?offset=4&limit=2')).groups).toEqual([]);
        // The default page is bounded, and a larger page than the bound is refused.
        expect((await page('')).limit).toBe(10);
        const tooMany = await owner.inject({ method: 'GET', url: '/api/v1/purchase-orders/suggestions?limit=51' });
        expect(tooMany.statusCode).toBe(400);
        const negative = await owner.inject({ method: 'GET', url: '/api/v1/purchase-orders/suggestions?offset=-1' });
        expect(negative.statusCode).toBe(400);
      } finally {
        await fresh.close();
      }
    });
  });
});

describe.each(ENGINES)('over-delivery under parallel HTTP receives on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('counts each of 50 parallel over-deliveries exactly once, and caps the ones without a reason at what is due', async () => {
    const item = await createItem(admin);
    const keepOpen = await createItem(admin);
    // A second line that stays due keeps the order receivable while the first fills and overflows.
    const po = await createOrder(admin, {
      lines: [
        { itemId: item.id, quantity: 10 },
        { itemId: keepOpen.id, quantity: 1000 },
      ],
      place: true,
    });
    const lineId = po.lines.find((l) => l.itemId === item.id)?.id;
    const url = `/api/v1/purchase-orders/${po.id}/receive`;
    const headers = sessionHeaders(admin);
    // 25 with a reason and 25 without, interleaved, all at once.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(
          base,
          url,
          { lines: [{ lineId, quantity: 1, ...(i % 2 === 0 ? { overDeliveryReason: `extra case ${i}` } : {}) }] },
          headers,
        ).then((r) => ({ withReason: i % 2 === 0, status: r.status })),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 422 && !r.withReason)).toBe(true);
    expect(results.filter((r) => r.withReason).every((r) => r.status === 200)).toBe(true);
    const plainOk = ok.filter((r) => !r.withReason).length;
    expect(plainOk).toBeLessThanOrEqual(10);
    const after = (
      await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })
    ).json() as PurchaseOrder;
    const line = after.lines.find((l) => l.id === lineId);
    // Exactly once: each accepted receipt added its unit once, and nothing refused added any.
    expect(line?.received).toBe(ok.length);
    expect(ok.length).toBe(25 + plainOk);
    expect(line?.received).toBeGreaterThan(10);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json().onHand).toBe(ok.length);
    const moves = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}/movements?limit=200` })).json()
      .items as { kind: string; quantity: number }[];
    expect(moves.filter((m) => m.kind === 'receipt')).toHaveLength(ok.length);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('receives an over-delivery of the last units exactly once when 20 clients send it at once', async () => {
    const item = await createItem(admin);
    const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 10 }], place: true });
    const body = { lines: [{ lineId: po.lines[0]?.id, quantity: 12, overDeliveryReason: 'a full case of 12' }] };
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(base, `/api/v1/purchase-orders/${po.id}/receive`, body, sessionHeaders(admin)).then((r) => r.status),
      ),
    );
    // The first closes the order (received 12 of 10); the rest find nothing more can be received.
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json().onHand).toBe(12);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });
});

/**
 * Checks the structure a PDF reader relies on: the header, every object where the cross-reference
 * table says it starts, the trailer's size and root, `startxref` pointing at the table, and the
 * end marker; returns the page count (from the page tree) and the text of every content stream
 * (inflated where a stream is compressed).
 */
function checkPdf(pdf: Buffer): { pages: number; text: string } {
  const s = pdf.toString('latin1');
  expect(s.startsWith('%PDF-1.')).toBe(true);
  expect(s.trimEnd().endsWith('%%EOF')).toBe(true);
  const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(s)?.[1]);
  expect(s.slice(startxref, startxref + 4)).toBe('xref');
  const head = /^xref\n0 (\d+)\n/.exec(s.slice(startxref));
  expect(head).not.toBeNull();
  const count = Number(head?.[1]);
  const table = s
    .slice(startxref + (head?.[0].length ?? 0))
    .split('\n')
    .slice(0, count);
  expect(table[0]).toBe('0000000000 65535 f ');
  for (let id = 1; id < count; id++) {
    const entry = /^(\d{10}) 00000 n $/.exec(table[id] ?? '');
    expect(entry, `xref entry ${id}`).not.toBeNull();
    const at = Number(entry?.[1]);
    expect(s.slice(at, at + `${id} 0 obj`.length), `object ${id}`).toBe(`${id} 0 obj`);
  }
  const trailer = /trailer\s*<<(.*?)>>/s.exec(s)?.[1] ?? '';
  expect(trailer).toContain(`/Size ${count}`);
  const root = /\/Root (\d+) 0 R/.exec(trailer)?.[1];
  expect(s).toMatch(new RegExp(`\\n${root} 0 obj\\n<< /Type /Catalog`));
  const pages = Number(/\/Type \/Pages .*?\/Count (\d+)/.exec(s)?.[1]);
  expect(pages).toBe((s.match(/\/Type \/Page\b(?!s)/g) ?? []).length);
  let text = '';
  for (const m of s.matchAll(/<<([\s\S]*?)>>\nstream\n/g)) {
    const length = Number(/\/Length (\d+)/.exec(m[1] ?? '')?.[1]);
    const start = (m.index ?? 0) + m[0].length;
    const raw = pdf.subarray(start, start + length);
    expect(pdf.subarray(start + length, start + length + 10).toString('latin1')).toMatch(/^\r?\n?endstream/);
    text += `${(m[1] ?? '').includes('/FlateDecode') ? inflateSync(raw).toString('latin1') : raw.toString('latin1')}\n`;
  }
  return { pages, text };
}
