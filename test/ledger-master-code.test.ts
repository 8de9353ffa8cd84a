/**
 * The item ledger marks movements booked under the master code (issue 19): an assistant of the
 * studio template may book stock only in a session elevated by the master code; each movement
 * records whether its session was elevated, and the ledger (GET /items/:id/movements) says so.
 * Over real HTTP, on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Movement, MovementList } from '../src/shared/contracts/inventory.ts';
import { createItem } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, sessionFrom, type TestApp } from './harness.ts';
import { listenLocal, post, send, sessionHeaders } from './net.ts';

describe.each(ENGINES)('the ledger marks master-code movements on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'studio'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('says which entries were booked in an elevated session, and no others', async () => {
    const item = await createItem(admin, { sku: 'INK-BLK', name: 'Black ink', unit: 'bottle', openingStock: 3 });
    const code = (await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' })).json().code;
    const assistant = await createStaff(t.app, admin, 'assistant');

    // Without the master code the assistant may not book stock at all.
    const refused = await post(
      base,
      `/api/v1/items/${item.id}/stock`,
      { kind: 'out', quantity: 1 },
      sessionHeaders(assistant.session),
    );
    expect(refused.status).toBe(403);

    const elevate = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/elevate',
      headers: sessionHeaders(assistant.session),
      payload: { code },
    });
    expect(elevate.statusCode, elevate.body).toBe(200);
    const elevated = sessionFrom(t.app, elevate);

    const booked = await post<{ movement: Movement }>(
      base,
      `/api/v1/items/${item.id}/stock`,
      { kind: 'out', quantity: 1, reason: 'Used on a client' },
      sessionHeaders(elevated),
    );
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    expect(booked.body.movement.elevated).toBe(true);

    const normal = await post<{ movement: Movement }>(
      base,
      `/api/v1/items/${item.id}/stock`,
      { kind: 'in', quantity: 5 },
      sessionHeaders(admin),
    );
    expect(normal.status, JSON.stringify(normal.body)).toBe(200);
    expect(normal.body.movement.elevated).toBe(false);

    const ledger = await send<MovementList>(
      base,
      'GET',
      `/api/v1/items/${item.id}/movements`,
      undefined,
      sessionHeaders(elevated),
    );
    expect(ledger.status).toBe(200);
    expect(ledger.body.items.map((m) => [m.quantity, m.elevated, m.actor?.id])).toEqual([
      [5, false, normal.body.movement.actor?.id],
      [-1, true, assistant.id],
      [3, false, normal.body.movement.actor?.id],
    ]);
  });
});
