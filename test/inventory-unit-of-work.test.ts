/**
 * Issue 18, "reads that decide a write happen inside the write's transaction", for inventory
 * settings, items, suppliers and purchase-order invoices: what a change reads (the value it
 * replaces, the state it checks, the order it attaches a file to) is read in its transaction,
 * under a lock, so parallel changes line up one after another.
 * Over real parallel HTTP, on every engine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createOrder, createSupplier, multipart } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type AuditItem = { seq: number; before: unknown; after: unknown };

describe.each(ENGINES)('inventory changes read inside their transaction on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('records, for each of 20 parallel settings saves, the value the previous save left as its "before"', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(
          base,
          'PUT',
          '/api/v1/settings/inventory',
          { allowNegativeStock: i % 2 === 0 },
          sessionHeaders(admin),
        ).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array(20).fill(200));
    const res = await admin.inject({ method: 'GET', url: '/api/v1/audit?action=settings.inventory&limit=100' });
    const events = (res.json().items as AuditItem[]).sort((a, b) => a.seq - b.seq);
    expect(events).toHaveLength(20);
    // A chain: each save replaced exactly what the one before it wrote.
    expect(events[0]?.before).toEqual({ allowNegativeStock: false });
    for (let k = 1; k < events.length; k++) expect(events[k]?.before).toEqual(events[k - 1]?.after);
    const now = (await admin.inject({ method: 'GET', url: '/api/v1/settings/inventory' })).json();
    expect(now).toEqual(events.at(-1)?.after);
  });

  it('archives an item once under 10 parallel archives (the others answer 409)', async () => {
    const item = await createItem(admin);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        send(base, 'POST', `/api/v1/items/${item.id}/archive`, undefined, sessionHeaders(admin)).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const res = await admin.inject({
      method: 'GET',
      url: `/api/v1/audit?action=inventory.archive&targetId=${item.id}`,
    });
    expect(res.json().items).toHaveLength(1);
  });

  it('archives a supplier once under 10 parallel archives (the others answer 409)', async () => {
    const supplier = await createSupplier(admin);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        send(base, 'POST', `/api/v1/suppliers/${supplier.id}/archive`, undefined, sessionHeaders(admin)).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const res = await admin.inject({
      method: 'GET',
      url: `/api/v1/audit?action=suppliers.archive&targetId=${supplier.id}`,
    });
    expect(res.json().items).toHaveLength(1);
  });

  it('never leaves an open order with an archived supplier when orders and the archive race', async () => {
    const item = await createItem(admin);
    for (let round = 0; round < 5; round++) {
      const supplier = await createSupplier(admin);
      const order = { supplierId: supplier.id, lines: [{ itemId: item.id, quantity: 1, unitCost: 100 }] };
      const [archive, ...creates] = await Promise.all([
        send(base, 'POST', `/api/v1/suppliers/${supplier.id}/archive`, undefined, sessionHeaders(admin)),
        ...Array.from({ length: 4 }, () => send(base, 'POST', '/api/v1/purchase-orders', order, sessionHeaders(admin))),
      ]);
      const placed = creates.filter((c) => c.status === 201).length;
      // Either the archive came first (every order refused) or an order did (the archive refused).
      if (archive?.status === 200) expect(placed).toBe(0);
      else expect([archive?.status, placed > 0]).toEqual([409, true]);
      expect(creates.every((c) => c.status === 201 || c.status === 422)).toBe(true);
    }
  });

  it('keeps the stored invoice file and its recorded size together under 12 parallel uploads', async () => {
    const po = await createOrder(admin);
    // Twelve PDFs, each of its own size.
    const pdfs = Array.from({ length: 12 }, (_, i) =>
      Buffer.from(`%PDF-1.7\n${'x'.repeat(1000 + i * 97)}\n%%EOF\n`, 'latin1'),
    );
    const statuses = await Promise.all(
      pdfs.map(async (pdf, i) => {
        const m = multipart(`invoice-${i}.pdf`, pdf, 'application/pdf');
        const r = await fetch(`${base}/api/v1/purchase-orders/${po.id}/invoice`, {
          method: 'POST',
          headers: { ...sessionHeaders(admin), ...m.headers },
          body: m.payload,
        });
        await r.arrayBuffer();
        return r.status;
      }),
    );
    expect(statuses).toEqual(Array(12).fill(200));
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    const kept = pdfs.findIndex((p) => p.length === order.invoice.size);
    expect(order.invoice.name).toBe(`invoice-${kept}.pdf`);
    const down = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/invoice` });
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.equals(pdfs[kept] as Buffer)).toBe(true);
    // No half-written upload is left beside the invoice.
    expect(readdirSync(join(t.config.dataDir, 'invoices')).filter((f) => f.startsWith(po.id))).toEqual([
      `${po.id}.pdf`,
    ]);
  });

  it('refuses a 15 MB invoice over HTTP (413) while others upload, keeping the stored invoice whole', async () => {
    const po = await createOrder(admin);
    const upload = async (name: string, pdf: Buffer) => {
      const m = multipart(name, pdf, 'application/pdf');
      const r = await fetch(`${base}/api/v1/purchase-orders/${po.id}/invoice`, {
        method: 'POST',
        headers: { ...sessionHeaders(admin), ...m.headers },
        body: m.payload,
      });
      return { status: r.status, body: await r.text() };
    };
    const pdf = (size: number) => {
      const head = Buffer.from('%PDF-1.7\n', 'latin1');
      const tail = Buffer.from('\n%%EOF\n', 'latin1');
      return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x78), tail]);
    };
    const atLimit = pdf(10 * 1024 * 1024);
    expect((await upload('at-limit.pdf', atLimit)).status).toBe(200);
    const huge = pdf(15 * 1024 * 1024);
    const [big, ...small] = await Promise.all([
      upload('huge.pdf', huge),
      ...[1, 2, 3].map((i) => upload(`small-${i}.pdf`, pdf(2000 + i))),
    ]);
    expect(big.status, big.body).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ type: 'urn:steward:problem:payload-too-large' });
    expect(small.map((s) => s.status)).toEqual([200, 200, 200]);
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(order.invoice.name).toMatch(/^small-[123]\.pdf$/);
    const down = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}/invoice` });
    expect(down.rawPayload.length).toBe(order.invoice.size);
    expect(readdirSync(join(t.config.dataDir, 'invoices')).filter((f) => f.startsWith(po.id))).toEqual([
      `${po.id}.pdf`,
    ]);
  });
});
