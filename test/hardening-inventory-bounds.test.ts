/**
 * Issue 10, M6 / reliability promise 29: amounts, quantities and their products are bounded
 * (src/shared/contracts/bounds.ts) via the API and via import, stored in 64-bit columns, and no
 * stored row can make a read answer 5xx. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MONEY_MINOR, MAX_QUANTITY, MAX_STOCK } from '../src/shared/contracts/bounds.ts';
import { createSupplier, itemBody, multipart } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('bounded numbers on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let supplierId: string;
  const createItem = (extra: Record<string, unknown> = {}) =>
    admin.inject({ method: 'POST', url: '/api/v1/items', payload: itemBody(extra) });
  const order = (lines: { itemId: string; quantity: number; unitCost: number }[]) =>
    admin.inject({ method: 'POST', url: '/api/v1/purchase-orders', payload: { supplierId, lines } });

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    supplierId = (await createSupplier(admin)).id;
  });
  afterAll(async () => t.close());

  it('stores amounts up to the limit (past 2^31 cents on PostgreSQL too) and refuses past it', async () => {
    const big = await createItem({ price: 2 ** 31, cost: MAX_MONEY_MINOR, openingStock: MAX_QUANTITY });
    expect(big.statusCode, big.body).toBe(201);
    expect(big.json()).toMatchObject({ price: 2 ** 31, cost: MAX_MONEY_MINOR, onHand: MAX_QUANTITY });
    const list = await admin.inject({ method: 'GET', url: `/api/v1/items?q=${big.json().sku}` });
    expect(list.statusCode).toBe(200);
    expect(list.json().items[0]).toMatchObject({ price: 2 ** 31, cost: MAX_MONEY_MINOR });

    const price = await createItem({ price: MAX_MONEY_MINOR + 1 });
    expect(price.statusCode).toBe(400);
    expect(price.json().errors[0]).toMatchObject({ path: 'price', message: expect.stringMatching(/at most/) });
    expect((await createItem({ openingStock: MAX_QUANTITY + 1 })).statusCode).toBe(400);
    expect((await createItem({ reorderLevel: 1e9 })).statusCode).toBe(400);
    const patch = await admin.inject({
      method: 'PATCH',
      url: `/api/v1/items/${big.json().id}`,
      payload: { price: 1e20 },
    });
    expect(patch.statusCode).toBe(400);
    const stock = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${big.json().id}/stock`,
      payload: { kind: 'in', quantity: MAX_QUANTITY + 1 },
    });
    expect(stock.statusCode).toBe(400);
  });

  it('bounds a purchase order line (quantity × unit cost) and the order total', async () => {
    const itemId = (await createItem()).json().id as string;
    const other = (await createItem()).json().id as string;
    const huge = await order([{ itemId, quantity: 1e9, unitCost: 1e11 }]);
    expect(huge.statusCode).toBe(400);
    const product = await order([{ itemId, quantity: MAX_QUANTITY, unitCost: 1_000_000 }]);
    expect(product.statusCode).toBe(400);
    expect(JSON.stringify(product.json().errors)).toMatch(/A line totals at most 9,999,999,999\.99/);
    const sum = await order([
      { itemId, quantity: 1, unitCost: MAX_MONEY_MINOR },
      { itemId: other, quantity: 1, unitCost: 1 },
    ]);
    expect(sum.statusCode).toBe(400);
    expect(JSON.stringify(sum.json().errors)).toMatch(/An order totals at most/);
    const atLimit = await order([{ itemId, quantity: 1, unitCost: MAX_MONEY_MINOR }]);
    expect(atLimit.statusCode, atLimit.body).toBe(201);
    expect(atLimit.json().total).toBe(MAX_MONEY_MINOR);
    const list = await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=all' });
    expect(list.statusCode).toBe(200);
  });

  it('keeps on hand within ±MAX_STOCK: a movement past it is refused with 409', async () => {
    const item = (await createItem({ openingStock: 5 })).json();
    const db = t.app.services.database.db;
    await db
      .updateTable('items')
      .set({ on_hand: MAX_STOCK - 1 })
      .where('id', '=', item.id)
      .execute();
    const over = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'in', quantity: 2 },
    });
    expect(over.statusCode).toBe(409);
    expect(over.json().detail).toMatch(/at most 1,000,000,000/);
    const at = await admin.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'in', quantity: 1 },
    });
    expect(at.statusCode).toBe(200);
    expect(at.json().item.onHand).toBe(MAX_STOCK);
  });

  it('answers every read even when a stored row holds numbers past the limits', async () => {
    const item = (await createItem()).json();
    const po = (await order([{ itemId: item.id, quantity: 1, unitCost: 1 }])).json();
    const db = t.app.services.database.db;
    // As a row written before the limits existed, or by hand, could hold (64-bit, beyond 2^53).
    const huge = 2 ** 62;
    await db
      .updateTable('items')
      .set({ price: huge, cost: huge, on_hand: huge, reorder_level: huge })
      .where('id', '=', item.id)
      .execute();
    await db
      .updateTable('purchase_order_lines')
      .set({ quantity: 1e9, unit_cost: 1e11 })
      .where('order_id', '=', po.id)
      .execute();
    const list = await admin.inject({ method: 'GET', url: '/api/v1/items?pageSize=200' });
    expect(list.statusCode).toBe(200);
    const read = list.json().items.find((i: { id: string }) => i.id === item.id);
    expect(read).toMatchObject({ price: MAX_MONEY_MINOR, cost: MAX_MONEY_MINOR, onHand: MAX_STOCK });
    expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).statusCode).toBe(200);
    const orders = await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders?status=all' });
    expect(orders.statusCode).toBe(200);
    expect(orders.json().items.find((o: { id: string }) => o.id === po.id).total).toBe(MAX_MONEY_MINOR);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${po.id}` })).statusCode).toBe(200);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders/suggestions' })).statusCode).toBe(200);
    const exported = await admin.inject({ method: 'GET', url: '/api/v1/items/export?format=csv' });
    expect(exported.statusCode).toBe(200);
    if (engine === 'sqlite') {
      // A streamed read (the driver's own statement) survives the 64-bit value too.
      const streamed = [];
      for await (const r of db.selectFrom('items').select('on_hand').where('id', '=', item.id).stream())
        streamed.push(r);
      expect(streamed).toEqual([{ on_hand: huge }]);
    }
    // Put the row right again so later suites on this app read normal figures.
    await db
      .updateTable('items')
      .set({ price: 0, cost: 0, on_hand: 0, reorder_level: 0 })
      .where('id', '=', item.id)
      .execute();
  });

  it('applies the same limits to imports, by row and column, and imports values at the limit', async () => {
    const csv = [
      'sku,name,cost,price,on_hand,reorder_level,description',
      `IMPB-1,At the limit,9999999999.99,0.01,${MAX_QUANTITY},${MAX_QUANTITY},ok`,
      'IMPB-2,Price too large,1,100000000000000000000,0,0,',
      'IMPB-3,Stock too large,1,1,100000000000000000000,0,',
      `IMPB-4,Opening stock past a quantity,1,1,${MAX_QUANTITY + 1},0,`,
      `IMPB-5,Reorder too large,1,1,0,${MAX_QUANTITY + 1},`,
      `IMPB-6,Long description,1,1,0,0,${'x'.repeat(2001)}`,
    ].join('\n');
    const preview = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('bounds.csv', csv),
    });
    expect(preview.statusCode).toBe(200);
    const errors = preview.json().errors as { row: number; column: string; message: string }[];
    expect(errors.map((e) => `${e.row}:${e.column}`)).toEqual([
      '3:price',
      '4:on_hand',
      '5:on_hand',
      '6:reorder_level',
      '7:description',
    ]);
    expect(errors[0]?.message).toBe('The price is at most 9,999,999,999.99.');
    expect(errors[4]?.message).toBe('Use at most 2000 characters.');
    const refused = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('b.csv', csv) });
    expect(refused.statusCode).toBe(422);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/items?q=IMPB' })).json().total).toBe(0);

    const good = csv.split('\n').slice(0, 2).join('\n');
    const ok = await admin.inject({ method: 'POST', url: '/api/v1/items/import', ...multipart('g.csv', good) });
    expect(ok.statusCode, ok.body).toBe(200);
    const [row] = (await admin.inject({ method: 'GET', url: '/api/v1/items?q=IMPB-1' })).json().items;
    expect(row).toMatchObject({ cost: MAX_MONEY_MINOR, price: 1, onHand: MAX_QUANTITY, reorderLevel: MAX_QUANTITY });
  });
});
