/**
 * Issue 18, "reads that decide a write happen inside the write's transaction", for imports: a
 * row that repeats an existing item's on-hand figure is checked when the file is read, before
 * the write transactions; a stock movement booked in between must not slip past that check.
 * Over real parallel HTTP, on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockDiscrepancies } from '../src/server/modules/inventory/inventory.repository.ts';
import { createItem, multipart, unique } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, post, send, sessionHeaders } from './net.ts';

/** New items written before the row that repeats an on-hand figure: enough for the import to take a while. */
const ROWS = 800;

describe.each(ENGINES)('an import re-checks on-hand where it writes, on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('stops at a row whose item had stock moved after the file was checked (409), keeping the movement', async () => {
    const item = await createItem(admin, { openingStock: 5 });
    const prefix = unique('RACE');
    const lines = ['sku,name,on_hand'];
    for (let i = 0; i < ROWS; i++) lines.push(`${prefix}-${i},Imported ${i},1`);
    lines.push(`${item.sku},Renamed by the import,5`); // the figure it has when the file is checked
    const lastRow = ROWS + 2;

    const m = multipart('race.csv', lines.join('\n'));
    let finished = false;
    const importing = fetch(`${base}/api/v1/items/import`, {
      method: 'POST',
      headers: { ...sessionHeaders(admin), ...m.headers },
      body: m.payload,
    })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as { detail?: string } }))
      .finally(() => {
        finished = true;
      });

    // The file has been checked once the import's first items are listed: its writes have begun.
    for (;;) {
      const listed = await send<{ total: number }>(base, 'GET', `/api/v1/items?q=${prefix}&pageSize=1`, undefined, {
        cookie: admin.cookie,
      });
      if (listed.body.total > 0 || finished) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(finished, 'the import ended before the movement could be sent; make ROWS larger').toBe(false);
    const moved = await post(
      base,
      `/api/v1/items/${item.id}/stock`,
      { kind: 'in', quantity: 2, reason: 'Delivery' },
      sessionHeaders(admin),
    );
    expect(moved.status).toBe(200);

    const res = await importing;
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(
      new RegExp(
        `^Rows 2–\\d+ were imported; the import stopped at row ${lastRow}: ${item.sku} has 7 on hand now, not 5`,
      ),
    );
    // The movement stands and the stale row changed nothing (its name included).
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json();
    expect(after).toMatchObject({ onHand: 7, name: item.name });
    expect(await stockDiscrepancies(t.app.services.database.db)).toEqual([]);
  }, 120_000);
});
