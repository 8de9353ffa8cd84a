/**
 * Issue 19, "each template shows the modules it has": an admin switches business modules on and
 * off (Settings → Modules); the switch is audited, refused without settings.edit, consistent under
 * parallel switches, and the route guard refuses a switched-off module's routes (403 module-off)
 * while its records stay untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleOffFor, neededBy, withNeeds } from '../src/shared/business-modules.ts';
import { TEMPLATES } from '../src/shared/permissions/templates.ts';
import { createItem, createOrder, createSupplier } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type Listed = { key: string; on: boolean; alwaysOn: boolean; needs: string[]; neededBy: string[] };
const typeOf = (res: { json(): { type?: string } }) => res.json().type?.replace('urn:steward:problem:', '');

async function modulesOn(admin: Session): Promise<string[]> {
  const res = await admin.inject({ method: 'GET', url: '/api/v1/settings/modules' });
  expect(res.statusCode).toBe(200);
  return (res.json().items as Listed[]).filter((m) => m.on).map((m) => m.key);
}

async function moduleEvents(t: TestApp) {
  const rows = await t.app.services.database.db
    .selectFrom('audit_events')
    .select(['seq', 'action', 'actor_user_id', 'before', 'after'])
    .where('action', '=', 'settings.modules')
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    actor: r.actor_user_id,
    before: JSON.parse(r.before ?? '{}') as { modules: string[] },
    after: JSON.parse(r.after ?? '{}') as { modules: string[]; switchedOn: string[]; switchedOff: string[] },
  }));
}

const put = (s: Session, key: string, on: unknown) =>
  s.inject({ method: 'PUT', url: `/api/v1/settings/modules/${key}`, payload: { on } });

describe('what a switched-off module takes with it', () => {
  it('refuses a permission of a module that is off, and never one of Settings, Security or no module', () => {
    const studio = TEMPLATES.studio.modules;
    expect(moduleOffFor('orders.create', studio)?.key).toBe('orders');
    expect(moduleOffFor('suppliers.view', studio)?.key).toBe('suppliers');
    expect(moduleOffFor('inventory.view', studio)).toBeUndefined();
    // Charge codes claim the users permission that assigns them.
    expect(moduleOffFor('users.assign_chargecode', studio)?.key).toBe('chargecodes');
    expect(moduleOffFor('users.edit', studio)).toBeUndefined();
    expect(moduleOffFor('users.edit', [])).toBeUndefined();
    expect(moduleOffFor('security.audit', [])).toBeUndefined();
    expect(moduleOffFor('system.manage', [])).toBeUndefined();
  });

  it('brings what a module needs, through other modules too, and names what needs it', () => {
    expect(withNeeds('orders')).toEqual(['inventory', 'suppliers', 'orders']);
    expect(withNeeds('agenda')).toEqual(['agenda', 'clients', 'staff']);
    expect(neededBy('inventory', TEMPLATES.stores.modules)).toEqual(['categories', 'suppliers', 'orders']);
    expect(neededBy('inventory', TEMPLATES.studio.modules)).toEqual([]);
  });
});

describe.each(ENGINES)('business modules on %s', (engine) => {
  describe('a studio', () => {
    let t: TestApp;
    let admin: Session;
    let adminId: string;
    beforeAll(async () => {
      ({ t, admin, adminId } = await createBusinessApp(engine, 'studio'));
    });
    afterAll(async () => t.close());

    it('starts with the studio template’s modules, and refuses the routes of store modules', async () => {
      expect(await modulesOn(admin)).toEqual([
        'agenda',
        'clients',
        'staff',
        'sales',
        'cash',
        'inventory',
        'reports',
        'security',
        'settings',
        'backups',
      ]);
      for (const url of ['/api/v1/suppliers', '/api/v1/categories', '/api/v1/purchase-orders']) {
        const res = await admin.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(403);
        expect(typeOf(res), url).toBe('module-off');
        expect(res.json().detail).toMatch(/switched off for this business.*Settings → Modules/);
      }
      // The studio's own modules answer.
      expect((await admin.inject({ method: 'GET', url: '/api/v1/items' })).statusCode).toBe(200);
    });

    it('switches Purchase orders on with what they need, audited once, and their routes answer', async () => {
      const res = await put(admin, 'orders', true);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as Listed[];
      expect(items.find((m) => m.key === 'orders')).toMatchObject({ on: true, needs: ['inventory', 'suppliers'] });
      expect(items.find((m) => m.key === 'suppliers')).toMatchObject({ on: true, neededBy: ['orders'] });
      expect((await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders' })).statusCode).toBe(200);
      expect((await admin.inject({ method: 'GET', url: '/api/v1/suppliers' })).statusCode).toBe(200);
      // Categories were not asked for: still off.
      expect(typeOf(await admin.inject({ method: 'GET', url: '/api/v1/categories' }))).toBe('module-off');
      const me = (await admin.inject({ method: 'GET', url: '/api/v1/me' })).json();
      expect(me.business.modules).toEqual(expect.arrayContaining(['orders', 'suppliers']));
      const events = await moduleEvents(t);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        actor: adminId,
        after: { switchedOn: ['suppliers', 'orders'], switchedOff: [] },
      });
      expect(events[0]?.before.modules).not.toContain('orders');
    });

    it('writes nothing when the module is already as asked', async () => {
      const before = (await moduleEvents(t)).length;
      expect((await put(admin, 'orders', true)).statusCode).toBe(200);
      expect(await moduleEvents(t)).toHaveLength(before);
    });

    it('keeps a module on while a switched-on module needs it, and Settings and Security always on', async () => {
      const supp = await put(admin, 'suppliers', false);
      expect(supp.statusCode).toBe(409);
      expect(supp.json().detail).toBe('Purchase orders needs Suppliers: switch it off first.');
      const settings = await put(admin, 'settings', false);
      expect(settings.statusCode).toBe(409);
      expect((await put(admin, 'security', false)).statusCode).toBe(409);
      expect(await modulesOn(admin)).toEqual(expect.arrayContaining(['orders', 'suppliers', 'settings', 'security']));
    });

    it('answers 404 for a module that does not exist and 400 for a body without a boolean', async () => {
      const before = (await moduleEvents(t)).length;
      const missing = await put(admin, 'teleport', true);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().detail).toBe('There is no module called “teleport”.');
      const bad = await put(admin, 'quotes', 'yes');
      expect(bad.statusCode).toBe(400);
      expect(await moduleEvents(t)).toHaveLength(before);
    });

    it('refuses a non-admin: settings.edit is needed to switch, settings.view to look', async () => {
      const assistant = await createStaff(t.app, admin, 'assistant');
      const before = (await moduleEvents(t)).length;
      const res = await put(assistant.session, 'quotes', true);
      expect(res.statusCode).toBe(403);
      expect(res.json().permission).toBe('settings.edit');
      expect((await assistant.session.inject({ method: 'GET', url: '/api/v1/settings/modules' })).statusCode).toBe(403);
      expect(await moduleEvents(t)).toHaveLength(before);
      expect(await modulesOn(admin)).not.toContain('quotes');
    });
  });

  describe('a store', () => {
    let t: TestApp;
    let admin: Session;
    let base: string;
    beforeAll(async () => {
      ({ t, admin } = await createBusinessApp(engine, 'stores'));
      base = await listenLocal(t.app);
    });
    afterAll(async () => t.close());

    it('switches Purchase orders off: their routes are refused, their records kept, and back on they return', async () => {
      const supplier = await createSupplier(admin);
      const item = await createItem(admin);
      const { id } = await createOrder(admin, { supplierId: supplier.id, lines: [{ itemId: item.id, quantity: 3 }] });

      expect((await put(admin, 'orders', false)).statusCode).toBe(200);
      const list = await admin.inject({ method: 'GET', url: '/api/v1/purchase-orders' });
      expect(list.statusCode).toBe(403);
      expect(typeOf(list)).toBe('module-off');
      expect(list.json().module).toBe('orders');
      const create = await admin.inject({
        method: 'POST',
        url: '/api/v1/purchase-orders',
        payload: { supplierId: supplier.id, lines: [{ itemId: item.id, quantity: 1, unitCost: 100 }] },
      });
      expect(typeOf(create)).toBe('module-off');
      // Suppliers no longer needed by anything on: they may go off now.
      expect((await put(admin, 'suppliers', false)).statusCode).toBe(200);
      expect(typeOf(await admin.inject({ method: 'GET', url: '/api/v1/suppliers' }))).toBe('module-off');
      // The item keeps its data; inventory stays on.
      expect((await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).statusCode).toBe(200);

      expect((await put(admin, 'orders', true)).statusCode).toBe(200);
      const back = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${id}` });
      expect(back.statusCode).toBe(200);
      expect(back.json().lines).toHaveLength(1);
      const suppliers = await admin.inject({ method: 'GET', url: '/api/v1/suppliers' });
      expect(suppliers.json().items.map((x: { id: string }) => x.id)).toContain(supplier.id);
    });

    it('refuses a switched-off module to an API key as well as to a session', async () => {
      const key = await admin.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'cats', permissions: ['categories.view'] },
      });
      expect(key.statusCode).toBe(201);
      const auth = { authorization: `Bearer ${key.json().key}` };
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/categories', headers: auth })).statusCode).toBe(200);
      expect((await put(admin, 'categories', false)).statusCode).toBe(200);
      const off = await t.app.inject({ method: 'GET', url: '/api/v1/categories', headers: auth });
      expect(off.statusCode).toBe(403);
      expect(typeOf(off)).toBe('module-off');
      expect((await put(admin, 'categories', true)).statusCode).toBe(200);
    });

    it('keeps every switch when two admins switch different modules at the same moment', async () => {
      const second = await createStaff(t.app, admin, 'admin');
      const events = (await moduleEvents(t)).length;
      // Several rounds: each pair runs as real parallel HTTP requests.
      for (let round = 0; round < 3; round++) {
        const on = round % 2 === 0;
        const [a, b] = await Promise.all([
          send(base, 'PUT', '/api/v1/settings/modules/quotes', { on: !on }, sessionHeaders(admin)),
          send(base, 'PUT', '/api/v1/settings/modules/backups', { on: !on }, sessionHeaders(second.session)),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
        const now = await modulesOn(admin);
        expect(now.includes('quotes'), `round ${round}`).toBe(!on);
        expect(now.includes('backups'), `round ${round}`).toBe(!on);
      }
      const written = (await moduleEvents(t)).slice(events);
      expect(written).toHaveLength(6);
      // Each event starts from what the one before it left: no switch read a stale list.
      for (let i = 1; i < written.length; i++) {
        expect(written[i]?.before.modules).toEqual(written[i - 1]?.after.modules);
      }
    });
  });
});
