/**
 * The audit log reads as sentences with names: the list returns the actor's and the target's
 * current names beside the raw ids (added fields; the old ones stay), and every action the
 * scenario writes has a sentence in the shared map (src/shared/audit-sentences.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorName, auditSentence } from '../src/shared/audit-sentences.ts';
import type { AuditEvent } from '../src/shared/contracts/audit.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('readable audit events on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  let email: string;
  let events: AuditEvent[];
  let boId: string;
  let itemId: string;
  let orderId: string;
  beforeAll(async () => {
    ({ t, admin, adminId, email } = await createBusinessApp(engine, 'stores'));
    const send = async (method: 'POST' | 'PUT', url: string, payload: unknown = {}) => {
      const res = await admin.inject({ method, url, payload: payload as Record<string, unknown> });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    boId = (await send('POST', '/api/v1/users', { name: 'Bo Li', email: 'bo@example.com', roleKey: 'user' })).user.id;
    const supplier = await send('POST', '/api/v1/suppliers', { name: 'LabSupply Co' });
    itemId = (await send('POST', '/api/v1/items', { sku: 'GLV-M', name: 'Nitrile gloves M', price: 799 })).id;
    orderId = (
      await send('POST', '/api/v1/purchase-orders', {
        supplierId: supplier.id,
        lines: [{ itemId, quantity: 5, unitCost: 420 }],
      })
    ).id;
    await send('POST', `/api/v1/purchase-orders/${orderId}/place`);
    const order = (await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${orderId}` })).json();
    await send('POST', `/api/v1/purchase-orders/${orderId}/receive`, {
      lines: [{ lineId: order.lines[0].id, quantity: 5 }],
    });
    await send('POST', `/api/v1/users/${boId}/deactivate`, { reason: 'Left the lab' });
    // A wrong password for the admin's account, from someone.
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: 'Not-The-Password-1' },
    });
    const res = await admin.inject({ method: 'GET', url: '/api/v1/audit?limit=200' });
    expect(res.statusCode).toBe(200);
    events = res.json().items;
  });
  afterAll(async () => t.close());

  const find = (action: string) => {
    const e = events.find((x) => x.action === action);
    if (!e) throw new Error(`no ${action} event`);
    return e;
  };

  it('names the actor and a user target, and keeps the raw ids and label', () => {
    const created = find('users.create');
    // The one created during setup is the admin; take Bo's.
    const bo = events.find((e) => e.action === 'users.create' && e.target?.id === boId);
    expect(bo?.actor).toEqual({ userId: adminId, label: expect.any(String), name: 'Ada Admin' });
    expect(bo?.target).toEqual({ type: 'user', id: boId, name: 'Bo Li' });
    expect(created.target?.type).toBe('user');
  });

  it('names items and purchase orders by what people call them', () => {
    expect(find('inventory.create').target).toEqual({ type: 'item', id: itemId, name: 'Nitrile gloves M (GLV-M)' });
    expect(find('orders.receive').target).toEqual({ type: 'purchase_order', id: orderId, name: 'PO-000001' });
  });

  it('turns events into sentences with names, never the raw code', () => {
    const bo = events.find((e) => e.action === 'users.create' && e.target?.id === boId);
    expect(bo && auditSentence(bo)).toBe('Ada Admin created user Bo Li');
    expect(auditSentence(find('orders.receive'))).toBe('Ada Admin received 5 × GLV-M on PO-000001');
    expect(auditSentence(find('orders.place'))).toBe('Ada Admin placed PO-000001');
    expect(auditSentence(find('users.deactivate'))).toBe('Ada Admin deactivated Bo Li');
    const failed = events.find((e) => e.action === 'auth.login' && e.outcome === 'failure');
    expect(failed && auditSentence(failed)).toBe('Someone failed to sign in as Ada Admin');
    for (const e of events) {
      const sentence = auditSentence(e);
      expect(sentence, `${e.action} has no sentence`).not.toContain(e.action);
      expect(sentence).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    }
  });

  it('shows the current name: a renamed user is shown by their new name', async () => {
    const res = await admin.inject({ method: 'PATCH', url: `/api/v1/users/${boId}`, payload: { name: 'Bo Li-Chen' } });
    expect(res.statusCode).toBe(200);
    const list = (await admin.inject({ method: 'GET', url: `/api/v1/audit?targetId=${boId}` })).json()
      .items as AuditEvent[];
    expect(list.length).toBeGreaterThan(0);
    for (const e of list) expect(e.target?.name).toBe('Bo Li-Chen');
  });
});

describe('audit sentences without names', () => {
  it('falls back to the recorded label, then to the kind and a short id', () => {
    const e = {
      action: 'users.create',
      outcome: 'success' as const,
      actor: { userId: '7e28c1d4-0000-4000-8000-000000000000', label: 'ana@example.com', name: null },
      target: { type: 'user', id: '5b2f9a00-0000-4000-8000-000000000000', name: null },
    };
    expect(auditSentence(e)).toBe('ana@example.com created user 5b2f9a00');
    expect(auditSentence({ ...e, action: 'users.deactivate' })).toBe('ana@example.com deactivated user 5b2f9a00');
    expect(actorName({ actor: { userId: null, label: null } })).toBe('Someone');
    expect(auditSentence({ ...e, action: 'future.thing' })).toBe('ana@example.com: future.thing');
  });
});
