/**
 * Goods arriving are never refused for the stock figure: with negative stock switched off again
 * after an item went below zero, a receipt or a stock-in that leaves it still below zero is
 * booked; a stock-out that would go (further) below zero is refused. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createOrder } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('receipts into negative stock on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  const negative = (allow: boolean) =>
    admin.inject({ method: 'PUT', url: '/api/v1/settings/inventory', payload: { allowNegativeStock: allow } });
  const onHand = async (id: string) =>
    Number((await admin.inject({ method: 'GET', url: `/api/v1/items/${id}` })).json().onHand);

  it('books a receipt and a stock-in that leave an item below zero, and refuses going further down', async () => {
    const item = await createItem(admin);
    expect((await negative(true)).statusCode).toBe(200);
    const out = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'out', quantity: 5 },
    });
    expect(out.statusCode).toBe(200);
    expect((await negative(false)).statusCode).toBe(200);
    const po = await createOrder(admin, { lines: [{ itemId: item.id, quantity: 2 }], place: true });
    const receive = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${po.id}/receive`,
      payload: { lines: [{ lineId: po.lines[0]?.id, quantity: 2 }] },
    });
    expect(receive.statusCode).toBe(200);
    expect(await onHand(item.id)).toBe(-3);
    const stockIn = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'in', quantity: 1 },
    });
    expect(stockIn.statusCode).toBe(200);
    expect(await onHand(item.id)).toBe(-2);
    const further = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'out', quantity: 1 },
    });
    expect(further.statusCode).toBe(409);
    expect(await onHand(item.id)).toBe(-2);
  });
});
