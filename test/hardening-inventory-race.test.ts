/**
 * Reliability promise 21 over real HTTP: the last unit goes once and an order is never received
 * past its quantity, when 50 clients ask at the same moment. On every engine.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockDiscrepancies } from '../src/server/modules/inventory/inventory.repository.ts';
import { createItem, createOrder } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('stock under 50 parallel HTTP clients on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  const post = (url: string, body: unknown) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t.close());

  it('lets exactly one of 50 stock-outs take the last unit', async () => {
    const item = await createItem(admin, { openingStock: 1 });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () => post(`/api/v1/items/${item.id}/stock`, { kind: 'out', quantity: 1 })),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json().onHand).toBe(0);
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });

  it('receives an order line at most its quantity under 50 identical receives', async () => {
    const item = await createItem(admin);
    const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 10 }], place: true });
    const body = { lines: [{ lineId: po.lines[0]?.id, quantity: 1 }] };
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () => post(`/api/v1/purchase-orders/${po.id}/receive`, body)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json().onHand).toBe(10);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(after).toMatchObject({ status: 'received', lines: [{ received: 10 }] });
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  });
});
