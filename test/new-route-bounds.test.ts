/**
 * Numbers of 10^20 and oversized strings against what this round added (suggestion pages,
 * over-deliveries, the preferred supplier in bulk edit): a 400 naming the one field once, with
 * a message a person understands, and nothing written. Both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createOrder } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('bounds of the new routes on %s', (engine) => {
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it('refuses suggestion pages past any bound, naming the field once', async () => {
    for (const [query, field] of [
      ['offset=100000000000000000000', 'offset'],
      ['offset=1e20', 'offset'],
      ['limit=1e20', 'limit'],
      ['offset=-1', 'offset'],
    ] as const) {
      const res = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/suggestions?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().detail, query).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('refuses a receipt of 10^20, an over-long reason and an over-long supplier id, writing nothing', async () => {
    const item = await createItem(admin);
    const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 2 }], place: true });
    const lineId = po.lines[0]?.id;
    for (const [line, field] of [
      [{ lineId, quantity: 1e20, overDeliveryReason: 'a pallet' }, 'lines.0.quantity'],
      [{ lineId, quantity: 10_000_001, overDeliveryReason: 'a pallet' }, 'lines.0.quantity'],
      [{ lineId, quantity: 3, overDeliveryReason: 'x'.repeat(501) }, 'lines.0.overDeliveryReason'],
    ] as const) {
      const res = await admin.inject({
        method: 'POST',
        url: `/api/v1/purchase-orders/${po.id}/receive`,
        payload: { lines: [line] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toMatch(new RegExp(`^${field.replaceAll('.', '\\.')}: `));
    }
    const bulk = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [item.id], set: { preferredSupplierId: 'x'.repeat(100_000) } },
    });
    expect(bulk.statusCode).toBe(400);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).json();
    expect(after.lines[0].received).toBe(0);
    const stock = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json();
    expect(stock.onHand).toBe(0);
    expect(stock.suppliers).toEqual([]);
  });
});
