/**
 * Settings → Business: the name and time zone first run set can change, contact details for the
 * documents the business sends can be added; currency and template cannot change. Audited; the
 * shared schema refuses what the web form refuses; parallel saves line up one after another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type AuditItem = { seq: number; before: Record<string, unknown>; after: Record<string, unknown> };

const BODY = {
  name: 'Lab Stores North',
  timezone: 'Europe/Lisbon',
  address: 'Rua das Flores 12\n1200-195 Lisboa',
  phone: '+351 21 000 0000',
  email: 'Orders@Example.com',
  taxId: 'PT 123 456 789',
};

describe.each(ENGINES)('business details on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let user: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    user = (await createStaff(t.app, admin, 'user')).session;
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('shows what first run set, with empty contact details', async () => {
    const res = await admin.inject({ method: 'GET', url: '/api/v1/settings/business' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      template: 'stores',
      currency: 'EUR',
      address: '',
      phone: '',
      email: '',
      taxId: '',
    });
  });

  it('saves name, time zone and contact details; /me shows the new name and zone; the audit names the changes', async () => {
    const res = await admin.inject({ method: 'PUT', url: '/api/v1/settings/business', payload: BODY });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...BODY, email: 'orders@example.com', currency: 'EUR', template: 'stores' });
    const me = (await admin.inject({ method: 'GET', url: '/api/v1/me' })).json();
    expect(me.business).toMatchObject({ name: BODY.name, timezone: 'Europe/Lisbon', currency: 'EUR' });
    const audit = (await admin.inject({ method: 'GET', url: '/api/v1/audit?action=settings.business' })).json();
    expect(audit.items).toHaveLength(1);
    expect(Object.keys(audit.items[0].after).sort()).toEqual([
      'address',
      'email',
      'name',
      'phone',
      'taxId',
      'timezone',
    ]);
    // Saving the same details again changes nothing and writes no event.
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/business', payload: BODY });
    const again = (await admin.inject({ method: 'GET', url: '/api/v1/audit?action=settings.business' })).json();
    expect(again.items).toHaveLength(1);
  });

  it('refuses an unknown time zone, an empty name, a bad email and an address past its bound, writing nothing', async () => {
    const before = (await admin.inject({ method: 'GET', url: '/api/v1/settings/business' })).json();
    for (const [field, value, message] of [
      ['timezone', 'Mars/Olympus', /time zone from the list/],
      ['name', '   ', /business name/],
      ['email', 'not-an-email', /valid email/],
      ['address', 'x'.repeat(301), /at most 300/],
      ['phone', 'call me', /phone number/],
    ] as const) {
      const res = await admin.inject({
        method: 'PUT',
        url: '/api/v1/settings/business',
        payload: { ...BODY, [field]: value },
      });
      expect(res.statusCode, field).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatch(message);
    }
    expect((await admin.inject({ method: 'GET', url: '/api/v1/settings/business' })).json()).toEqual(before);
  });

  it('cannot change the currency or the template', async () => {
    const res = await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/business',
      payload: { ...BODY, currency: 'USD', template: 'studio' },
    });
    // Unknown keys are not part of the body: nothing about them is stored.
    expect([200, 400]).toContain(res.statusCode);
    const now = (await admin.inject({ method: 'GET', url: '/api/v1/settings/business' })).json();
    expect(now).toMatchObject({ currency: 'EUR', template: 'stores' });
  });

  it('lets a User read the details but not change them (403 naming the permission)', async () => {
    expect((await user.inject({ method: 'GET', url: '/api/v1/settings/business' })).statusCode).toBe(200);
    const res = await user.inject({ method: 'PUT', url: '/api/v1/settings/business', payload: BODY });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toMatch(/Edit settings/i);
  });

  it('records, for each of 20 parallel saves, the value the previous save left as its "before"', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(
          base,
          'PUT',
          '/api/v1/settings/business',
          { ...BODY, name: `Parallel ${i}`, phone: String(1000 + i) },
          sessionHeaders(admin),
        ).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array(20).fill(200));
    const res = await admin.inject({ method: 'GET', url: '/api/v1/audit?action=settings.business&limit=100' });
    const events = (res.json().items as AuditItem[]).sort((a, b) => a.seq - b.seq).slice(-20);
    expect(events).toHaveLength(20);
    for (let k = 1; k < events.length; k++) {
      expect(events[k]?.before.name).toBe(events[k - 1]?.after.name);
      expect(events[k]?.before.phone).toBe(events[k - 1]?.after.phone);
    }
    const now = (await admin.inject({ method: 'GET', url: '/api/v1/settings/business' })).json();
    expect(now.name).toBe(events.at(-1)?.after.name);
  });
});
