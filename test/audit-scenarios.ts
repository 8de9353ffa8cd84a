/**
 * Reliability #14, as functions: every mutating route of every module writes its audit event.
 * Each route below is called once, successfully, on one record, and must add exactly one event
 * with the named action (setup, which creates the business and its first admin, adds two). The
 * routes to cover are found by iterating the app's modules; a module's mutating route without a
 * scenario here, or a scenario's action its module does not declare, fails the test.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { currentCode } from '../src/server/modules/two-factor/totp.ts';
import { ADMIN_PASSWORD, createStaff, login, type Session, type TestApp } from './harness.ts';

export type Ctx = {
  t: TestApp;
  admin: Session;
  /** A fresh staff member of the given role, for routes that change or end something of theirs. */
  staff(role?: string): Promise<{ id: string; email: string; session: Session }>;
  /** The current master code. */
  code: string;
  /** Another admin, for approvals (nobody approves their own request). */
  secondAdmin: Session;
};

export type Call = { session?: Session | null; method: string; url: string; payload?: unknown; multipart?: string };
export type Scenario = { action: string | string[]; status?: number; call(c: Ctx): Promise<Call> };

/** A fresh staff member with two-step sign-in on: their session, id and secret. */
async function withTwoFactor(c: Ctx) {
  const s = await c.staff();
  const setup = await s.session.inject({ method: 'POST', url: '/api/v1/auth/two-factor/setup' });
  const secret = setup.json().secret as string;
  const done = await s.session.inject({
    method: 'POST',
    url: '/api/v1/auth/two-factor/confirm',
    payload: { code: currentCode(secret, c.t.clock.now) },
  });
  if (done.statusCode !== 200) throw new Error(`two-factor: ${done.statusCode} ${done.body}`);
  c.t.clock.advance(30_000); // the next code is a new one
  return { ...s, secret, code: () => currentCode(secret, c.t.clock.now) };
}

export const SCENARIOS: Record<string, Scenario> = {
  'POST /api/v1/setup': {
    action: ['setup.completed', 'users.create'],
    status: 201,
    call: async () => ({
      session: null,
      method: 'POST',
      url: '/api/v1/setup',
      payload: {
        businessName: 'B',
        template: 'stores',
        admin: { name: 'A', email: 'first@example.com', password: ADMIN_PASSWORD },
      },
    }),
  },
  'POST /api/v1/auth/login': {
    action: 'auth.login',
    call: async (c) => {
      const s = await c.staff();
      return {
        session: null,
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: 'Staff-Passw0rd' },
      };
    },
  },
  'POST /api/v1/auth/logout': {
    action: 'auth.logout',
    call: async (c) => ({ session: (await c.staff()).session, method: 'POST', url: '/api/v1/auth/logout' }),
  },
  'POST /api/v1/auth/elevate': {
    action: 'auth.elevate',
    call: async (c) => {
      // Only someone with a permission behind the master code may enter it (issue 10, L2).
      const role = await c.admin.inject({
        method: 'POST',
        url: '/api/v1/roles',
        payload: { key: 'desk', name: 'Desk', inherits: ['user'], entries: { 'users.view': 'elevated' } },
      });
      if (role.statusCode !== 201) throw new Error(`role: ${role.statusCode} ${role.body}`);
      return {
        session: (await c.staff('desk')).session,
        method: 'POST',
        url: '/api/v1/auth/elevate',
        payload: { code: c.code },
      };
    },
  },
  'DELETE /api/v1/auth/elevate': {
    action: 'auth.elevate_end',
    call: async (c) => ({ session: (await c.staff()).session, method: 'DELETE', url: '/api/v1/auth/elevate' }),
  },
  'POST /api/v1/auth/password': {
    action: 'auth.password_change',
    call: async (c) => ({
      session: (await c.staff()).session,
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: 'Staff-Passw0rd', newPassword: 'Other-Passw0rd' },
    }),
  },
  'DELETE /api/v1/auth/sessions/:sessionId': {
    action: 'auth.session_end',
    call: async (c) => {
      const s = await c.staff();
      await login(c.t.app, s.email, 'Staff-Passw0rd'); // a second session to end
      const list = (await s.session.inject({ method: 'GET', url: '/api/v1/auth/sessions' })).json().items;
      const id = list.find((x: { current: boolean }) => !x.current).id;
      return { session: s.session, method: 'DELETE', url: `/api/v1/auth/sessions/${id}` };
    },
  },
  'POST /api/v1/users': {
    action: 'users.create',
    status: 201,
    call: async () => ({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'new@example.com', name: 'New', roleKey: 'user' },
    }),
  },
  'PATCH /api/v1/users/:id': {
    action: 'users.update',
    call: async (c) => ({
      method: 'PATCH',
      url: `/api/v1/users/${(await c.staff()).id}`,
      payload: { name: 'Renamed' },
    }),
  },
  'PUT /api/v1/users/:id/role': {
    action: 'users.role_change',
    call: async (c) => ({
      method: 'PUT',
      url: `/api/v1/users/${(await c.staff()).id}/role`,
      payload: { roleKey: 'superuser' },
    }),
  },
  'POST /api/v1/users/:id/deactivate': {
    action: 'users.deactivate',
    call: async (c) => ({ method: 'POST', url: `/api/v1/users/${(await c.staff()).id}/deactivate`, payload: {} }),
  },
  'POST /api/v1/users/:id/reactivate': {
    action: 'users.reactivate',
    call: async (c) => {
      const s = await c.staff();
      await c.admin.inject({ method: 'POST', url: `/api/v1/users/${s.id}/deactivate`, payload: {} });
      return { method: 'POST', url: `/api/v1/users/${s.id}/reactivate`, payload: {} };
    },
  },
  'POST /api/v1/auth/login/second-factor': {
    action: 'auth.login',
    call: async (c) => {
      const s = await withTwoFactor(c);
      const first = await c.t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: 'Staff-Passw0rd' },
      });
      return {
        session: null,
        method: 'POST',
        url: '/api/v1/auth/login/second-factor',
        payload: { challenge: first.json().secondFactor.challenge, code: s.code() },
      };
    },
  },
  'POST /api/v1/auth/two-factor/setup': {
    // A secret waiting for its first code changes nothing yet: the event is written when it is confirmed.
    action: [],
    call: async (c) => ({ session: (await c.staff()).session, method: 'POST', url: '/api/v1/auth/two-factor/setup' }),
  },
  'POST /api/v1/auth/two-factor/confirm': {
    action: 'auth.two_factor.enable',
    call: async (c) => {
      const s = await c.staff();
      const setup = await s.session.inject({ method: 'POST', url: '/api/v1/auth/two-factor/setup' });
      const code = currentCode(setup.json().secret, c.t.clock.now);
      return { session: s.session, method: 'POST', url: '/api/v1/auth/two-factor/confirm', payload: { code } };
    },
  },
  'POST /api/v1/auth/two-factor/disable': {
    action: 'auth.two_factor.disable',
    call: async (c) => {
      const s = await withTwoFactor(c);
      return {
        session: s.session,
        method: 'POST',
        url: '/api/v1/auth/two-factor/disable',
        payload: { code: s.code() },
      };
    },
  },
  'POST /api/v1/auth/two-factor/recovery-codes': {
    action: 'auth.two_factor.recovery_codes',
    call: async (c) => {
      const s = await withTwoFactor(c);
      return {
        session: s.session,
        method: 'POST',
        url: '/api/v1/auth/two-factor/recovery-codes',
        payload: { code: s.code() },
      };
    },
  },
  'POST /api/v1/users/:id/two-factor/reset': {
    action: 'users.two_factor_reset',
    call: async (c) => ({ method: 'POST', url: `/api/v1/users/${(await withTwoFactor(c)).id}/two-factor/reset` }),
  },
  'POST /api/v1/users/:id/reset-password': {
    action: 'users.reset_password',
    call: async (c) => ({ method: 'POST', url: `/api/v1/users/${(await c.staff()).id}/reset-password`, payload: {} }),
  },
  'DELETE /api/v1/users/:id/sessions': {
    action: 'users.sessions_end',
    call: async (c) => ({ method: 'DELETE', url: `/api/v1/users/${(await c.staff()).id}/sessions` }),
  },
  'DELETE /api/v1/users/:id/sessions/:sessionId': {
    action: 'auth.session_end',
    call: async (c) => {
      const s = await c.staff();
      const list = (await s.session.inject({ method: 'GET', url: '/api/v1/auth/sessions' })).json().items;
      return { method: 'DELETE', url: `/api/v1/users/${s.id}/sessions/${list[0].id}` };
    },
  },
  'PUT /api/v1/users/:id/permissions/:permission': {
    action: 'permissions.change',
    call: async (c) => ({
      method: 'PUT',
      url: `/api/v1/users/${(await c.staff()).id}/permissions/users.view`,
      payload: { effect: 'grant', reason: 'audit test' },
    }),
  },
  'POST /api/v1/permissions/bulk': {
    action: 'permissions.change',
    call: async (c) => ({
      method: 'POST',
      url: '/api/v1/permissions/bulk',
      payload: { userIds: [(await c.staff()).id], permission: 'users.view', effect: 'grant', reason: 'audit test' },
    }),
  },
  'POST /api/v1/permission-requests/:id/approve': {
    action: 'permissions.grant_approved',
    call: async (c) => ({
      session: c.secondAdmin,
      method: 'POST',
      url: `/api/v1/permission-requests/${await pendingRequest(c)}/approve`,
    }),
  },
  'POST /api/v1/permission-requests/:id/reject': {
    action: 'permissions.grant_rejected',
    call: async (c) => ({ method: 'POST', url: `/api/v1/permission-requests/${await pendingRequest(c)}/reject` }),
  },
  'POST /api/v1/role-requests/:id/approve': {
    action: ['roles.assigned', 'roles.request_approved'],
    call: async (c) => ({
      session: c.secondAdmin,
      method: 'POST',
      url: `/api/v1/role-requests/${await pendingRoleRequest(c)}/approve`,
    }),
  },
  'POST /api/v1/role-requests/:id/reject': {
    action: 'roles.request_rejected',
    call: async (c) => ({ method: 'POST', url: `/api/v1/role-requests/${await pendingRoleRequest(c)}/reject` }),
  },
  'POST /api/v1/roles': {
    action: 'roles.create',
    status: 201,
    call: async () => ({ method: 'POST', url: '/api/v1/roles', payload: { key: 'temp-role', name: 'Temp' } }),
  },
  'PUT /api/v1/roles/:key': {
    action: 'roles.update',
    call: async () => ({
      method: 'PUT',
      url: '/api/v1/roles/user',
      // Every view the Superuser (which inherits User) needs for its other entries stays.
      payload: {
        name: 'Counter user',
        inherits: [],
        entries: Object.fromEntries(
          ['inventory', 'categories', 'suppliers', 'orders', 'quotes', 'sales', 'reports', 'settings'].map((a) => [
            `${a}.view`,
            'allow',
          ]),
        ),
      },
    }),
  },
  'DELETE /api/v1/roles/:key': {
    action: 'roles.delete',
    call: async (c) => {
      await c.admin.inject({ method: 'POST', url: '/api/v1/roles', payload: { key: 'gone', name: 'Gone' } });
      return { method: 'DELETE', url: '/api/v1/roles/gone' };
    },
  },
  'PUT /api/v1/settings/security': {
    action: 'settings.security',
    call: async (c) => {
      const current = (await c.admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
      return { method: 'PUT', url: '/api/v1/settings/security', payload: { ...current, sessionIdleMinutes: 45 } };
    },
  },
  'POST /api/v1/security/master-code/rotate': {
    action: 'security.master_code.rotate',
    call: async () => ({ method: 'POST', url: '/api/v1/security/master-code/rotate' }),
  },
  'POST /api/v1/api-keys': {
    action: 'security.api_key.create',
    status: 201,
    call: async () => ({
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'k', permissions: ['users.view'] },
    }),
  },
  'DELETE /api/v1/api-keys/:id': {
    action: 'security.api_key.revoke',
    call: async (c) => {
      const k = await c.admin.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'k2', permissions: ['users.view'] },
      });
      return { method: 'DELETE', url: `/api/v1/api-keys/${k.json().apiKey.id}` };
    },
  },
  'POST /api/v1/categories': {
    action: 'categories.create',
    status: 201,
    call: async () => ({ method: 'POST', url: '/api/v1/categories', payload: { name: 'Gloves' } }),
  },
  'PUT /api/v1/categories/:id': {
    action: 'categories.update',
    call: async (c) => ({
      method: 'PUT',
      url: `/api/v1/categories/${await category(c)}`,
      payload: { name: `Renamed ${Math.random()}` },
    }),
  },
  'POST /api/v1/categories/:id/archive': {
    action: 'categories.archive',
    call: async (c) => ({ method: 'POST', url: `/api/v1/categories/${await category(c)}/archive` }),
  },
  'POST /api/v1/categories/:id/restore': {
    action: 'categories.restore',
    call: async (c) => {
      const id = await category(c);
      await c.admin.inject({ method: 'POST', url: `/api/v1/categories/${id}/archive` });
      return { method: 'POST', url: `/api/v1/categories/${id}/restore` };
    },
  },
  'POST /api/v1/suppliers': {
    action: 'suppliers.create',
    status: 201,
    call: async () => ({ method: 'POST', url: '/api/v1/suppliers', payload: { name: 'Acme' } }),
  },
  'PUT /api/v1/suppliers/:id': {
    action: 'suppliers.update',
    call: async (c) => ({
      method: 'PUT',
      url: `/api/v1/suppliers/${await supplier(c)}`,
      payload: { name: `Renamed ${Math.random()}` },
    }),
  },
  'POST /api/v1/suppliers/:id/archive': {
    action: 'suppliers.archive',
    call: async (c) => ({ method: 'POST', url: `/api/v1/suppliers/${await supplier(c)}/archive` }),
  },
  'POST /api/v1/suppliers/:id/restore': {
    action: 'suppliers.restore',
    call: async (c) => {
      const id = await supplier(c);
      await c.admin.inject({ method: 'POST', url: `/api/v1/suppliers/${id}/archive` });
      return { method: 'POST', url: `/api/v1/suppliers/${id}/restore` };
    },
  },
  'POST /api/v1/items': {
    action: 'inventory.create',
    status: 201,
    call: async () => ({
      method: 'POST',
      url: '/api/v1/items',
      payload: { sku: 'NEW-1', name: 'New', openingStock: 3 },
    }),
  },
  'POST /api/v1/items/import/preview': {
    // Reads the file and writes nothing, so it records nothing.
    action: [],
    call: async () => ({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      multipart: 'sku,name\r\nPRE-1,Preview only\r\n',
    }),
  },
  'POST /api/v1/items/import': {
    action: 'inventory.import',
    call: async () => ({
      method: 'POST',
      url: '/api/v1/items/import',
      multipart: 'sku,name,on_hand\r\nIMP-1,Imported,2\r\n',
    }),
  },
  'POST /api/v1/items/bulk-edit': {
    action: 'inventory.bulk_edit',
    call: async (c) => ({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { filter: { status: 'all' }, itemIds: [await item(c)], set: { vatRateBp: 1300 } },
    }),
  },
  'PATCH /api/v1/items/:id': {
    action: 'inventory.update',
    call: async (c) => ({ method: 'PATCH', url: `/api/v1/items/${await item(c)}`, payload: { name: 'Renamed' } }),
  },
  'POST /api/v1/items/:id/archive': {
    action: 'inventory.archive',
    call: async (c) => ({ method: 'POST', url: `/api/v1/items/${await item(c)}/archive` }),
  },
  'POST /api/v1/items/:id/restore': {
    action: 'inventory.restore',
    call: async (c) => {
      const id = await item(c);
      await c.admin.inject({ method: 'POST', url: `/api/v1/items/${id}/archive` });
      return { method: 'POST', url: `/api/v1/items/${id}/restore` };
    },
  },
  'POST /api/v1/items/:id/stock': {
    action: 'inventory.stock',
    call: async (c) => ({
      method: 'POST',
      url: `/api/v1/items/${await item(c)}/stock`,
      payload: { kind: 'in', quantity: 2 },
    }),
  },
  'PUT /api/v1/settings/business': {
    action: 'settings.business',
    call: async () => ({
      method: 'PUT',
      url: '/api/v1/settings/business',
      payload: { name: 'Renamed for the audit', timezone: 'UTC' },
    }),
  },
  'PUT /api/v1/settings/inventory': {
    action: 'settings.inventory',
    call: async () => ({ method: 'PUT', url: '/api/v1/settings/inventory', payload: { allowNegativeStock: false } }),
  },
  'PUT /api/v1/settings/modules/:key': {
    action: 'settings.modules',
    // The store switches the cash drawer on (its Sales are on already); nothing else is on the way.
    call: async () => ({ method: 'PUT', url: '/api/v1/settings/modules/cash', payload: { on: true } }),
  },
  'POST /api/v1/stock-counts': {
    action: 'inventory.count_open',
    status: 201,
    call: async (c) => {
      await item(c);
      return { method: 'POST', url: '/api/v1/stock-counts', payload: {} };
    },
  },
  'PUT /api/v1/stock-counts/:id/lines': {
    action: 'inventory.count_record',
    call: async (c) => {
      const id = await item(c);
      const count = (await c.admin.inject({ method: 'POST', url: '/api/v1/stock-counts', payload: {} })).json().id;
      return {
        method: 'PUT',
        url: `/api/v1/stock-counts/${count}/lines`,
        payload: { lines: [{ itemId: id, counted: 1 }] },
      };
    },
  },
  'POST /api/v1/stock-counts/:id/post': {
    action: 'inventory.count_post',
    call: async (c) => {
      const id = await item(c);
      const count = (await c.admin.inject({ method: 'POST', url: '/api/v1/stock-counts', payload: {} })).json().id;
      await c.admin.inject({
        method: 'PUT',
        url: `/api/v1/stock-counts/${count}/lines`,
        payload: { lines: [{ itemId: id, counted: 9 }] },
      });
      return { method: 'POST', url: `/api/v1/stock-counts/${count}/post` };
    },
  },
  'POST /api/v1/stock-counts/:id/cancel': {
    action: 'inventory.count_cancel',
    call: async (c) => {
      await item(c);
      const count = (await c.admin.inject({ method: 'POST', url: '/api/v1/stock-counts', payload: {} })).json().id;
      return { method: 'POST', url: `/api/v1/stock-counts/${count}/cancel` };
    },
  },
  'POST /api/v1/purchase-orders': {
    action: 'orders.create',
    status: 201,
    call: async (c) => ({ method: 'POST', url: '/api/v1/purchase-orders', payload: await orderBody(c) }),
  },
  'PUT /api/v1/purchase-orders/:id': {
    action: 'orders.update',
    call: async (c) => {
      const body = await orderBody(c);
      return {
        method: 'PUT',
        url: `/api/v1/purchase-orders/${await order(c, body)}`,
        payload: { ...body, notes: 'changed' },
      };
    },
  },
  'POST /api/v1/purchase-orders/:id/place': {
    action: 'orders.place',
    call: async (c) => ({ method: 'POST', url: `/api/v1/purchase-orders/${await order(c)}/place` }),
  },
  'POST /api/v1/purchase-orders/:id/cancel': {
    action: 'orders.cancel',
    call: async (c) => ({ method: 'POST', url: `/api/v1/purchase-orders/${await order(c)}/cancel` }),
  },
  'POST /api/v1/purchase-orders/:id/receive': {
    action: 'orders.receive',
    call: async (c) => {
      const id = await order(c);
      const po = (await c.admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${id}/place` })).json();
      return {
        method: 'POST',
        url: `/api/v1/purchase-orders/${id}/receive`,
        payload: { lines: [{ lineId: po.lines[0].id, quantity: 1 }] },
      };
    },
  },
  'DELETE /api/v1/purchase-orders/:id': {
    action: 'orders.delete',
    call: async (c) => ({ method: 'DELETE', url: `/api/v1/purchase-orders/${await order(c)}` }),
  },
  'POST /api/v1/purchase-orders/:id/invoice': {
    action: 'orders.invoice',
    call: async (c) => ({
      method: 'POST',
      url: `/api/v1/purchase-orders/${await order(c)}/invoice`,
      multipart: '%PDF-1.4\n%%EOF\n',
    }),
  },
  'POST /api/v1/audit/checkpoints': {
    action: 'audit.checkpoint',
    call: async () => ({ method: 'POST', url: '/api/v1/audit/checkpoints' }),
  },
};

let seq = 0;
async function category(c: Ctx): Promise<string> {
  return (
    await c.admin.inject({ method: 'POST', url: '/api/v1/categories', payload: { name: `Category ${++seq}` } })
  ).json().id;
}
async function supplier(c: Ctx): Promise<string> {
  return (
    await c.admin.inject({ method: 'POST', url: '/api/v1/suppliers', payload: { name: `Supplier ${++seq}` } })
  ).json().id;
}
async function item(c: Ctx): Promise<string> {
  const res = await c.admin.inject({
    method: 'POST',
    url: '/api/v1/items',
    payload: { sku: `SKU-${++seq}`, name: `Item ${seq}`, openingStock: 5 },
  });
  return res.json().id;
}
async function orderBody(c: Ctx) {
  return { supplierId: await supplier(c), lines: [{ itemId: await item(c), quantity: 3, unitCost: 100 }] };
}
async function order(c: Ctx, body?: Awaited<ReturnType<typeof orderBody>>): Promise<string> {
  return (
    await c.admin.inject({ method: 'POST', url: '/api/v1/purchase-orders', payload: body ?? (await orderBody(c)) })
  ).json().id;
}

/** A multipart/form-data body with one file. */
function multipart(content: string) {
  const boundary = '----stewardaudit';
  return {
    payload: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.csv"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    ),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A pending critical grant (the setting is switched on for it, then off again). */
async function pendingRequest(c: Ctx): Promise<string> {
  const settings = (await c.admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
  await c.admin.inject({
    method: 'PUT',
    url: '/api/v1/settings/security',
    payload: { ...settings, criticalGrantsNeedApproval: true },
  });
  const s = await c.staff('superuser');
  const r = await c.admin.inject({
    method: 'PUT',
    url: `/api/v1/users/${s.id}/permissions/backup.restore`,
    payload: { effect: 'grant', reason: 'drill' },
  });
  await c.admin.inject({
    method: 'PUT',
    url: '/api/v1/settings/security',
    payload: { ...settings, criticalGrantsNeedApproval: false },
  });
  return r.json().requestId;
}

/** A pending role assignment (a Superuser made Admin while the second-admin setting is on). */
async function pendingRoleRequest(c: Ctx): Promise<string> {
  const settings = (await c.admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
  await c.admin.inject({
    method: 'PUT',
    url: '/api/v1/settings/security',
    payload: { ...settings, criticalGrantsNeedApproval: true },
  });
  const s = await c.staff('superuser');
  const r = await c.admin.inject({ method: 'PUT', url: `/api/v1/users/${s.id}/role`, payload: { roleKey: 'admin' } });
  await c.admin.inject({
    method: 'PUT',
    url: '/api/v1/settings/security',
    payload: { ...settings, criticalGrantsNeedApproval: false },
  });
  return r.json().requestId;
}

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * What the scenarios miss, module by module: a mutating route without a scenario, a scenario of
 * no route, a scenario writing an action its module does not declare in `audit`.
 */
export function auditCoverageProblems(app: FastifyInstance, scenarios: Record<string, Scenario>): string[] {
  const problems: string[] = [];
  const routes = app.routeGuards().filter((r) => MUTATING.includes(r.method));
  for (const r of routes.filter((x) => x.module === null)) problems.push(`${r.method} ${r.url} belongs to no module`);
  for (const m of app.modules) {
    for (const r of routes.filter((x) => x.module === m.key)) {
      const key = `${r.method} ${r.url}`;
      const s = scenarios[key];
      if (s === undefined) {
        problems.push(`module ${m.key}: ${key} has no audit scenario`);
        continue;
      }
      for (const action of [s.action].flat()) {
        if (!m.audit.includes(action))
          problems.push(`module ${m.key}: ${key} writes "${action}", not in its audit list`);
      }
    }
  }
  const known = new Set(routes.map((r) => `${r.method} ${r.url}`));
  for (const key of Object.keys(scenarios)) if (!known.has(key)) problems.push(`scenario of no route: ${key}`);
  return problems;
}

/**
 * Sets the business up (through the setup scenario), then calls each route of `keys` once and
 * checks it added exactly its scenario's events, with request id, actor and time.
 */
export async function runAuditScenarios(
  t: TestApp,
  scenarios: Record<string, Scenario>,
  keys: readonly string[] = Object.keys(scenarios),
): Promise<number> {
  const db = t.app.services.database.db;
  let checked = 0;
  const head = async () =>
    Number(
      (
        await db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.max('seq').as('m'))
          .executeTakeFirst()
      )?.m ?? 0,
    );
  const check = async (key: string, run: () => Promise<{ statusCode: number; body: string }>) => {
    const s = scenarios[key] as Scenario;
    const before = await head();
    const res = await run();
    expect(res.statusCode, `${key}: ${res.body}`).toBe(s.status ?? 200);
    const events = await db
      .selectFrom('audit_events')
      .select(['action', 'request_id', 'actor_user_id', 'at'])
      .where('seq', '>', before)
      .orderBy('seq')
      .execute();
    expect(
      events.map((e) => e.action),
      key,
    ).toEqual([s.action].flat());
    expect(
      events.every((e) => e.request_id !== null),
      key,
    ).toBe(true);
    // Who did it, and when, in UTC from the server's clock.
    expect(
      events.every((e) => e.actor_user_id !== null && e.at === new Date(t.clock.now).toISOString()),
      key,
    ).toBe(true);
    checked++;
  };
  // Setup first: everything else needs the business.
  const setup = SCENARIOS['POST /api/v1/setup'] as Scenario;
  const setupCall = await setup.call({} as Ctx);
  await check('POST /api/v1/setup', () =>
    t.app.inject({ method: 'POST', url: setupCall.url, payload: setupCall.payload as object }),
  );
  const admin = await login(t.app, 'first@example.com', ADMIN_PASSWORD);
  const code = (await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' })).json().code;
  const second = await createStaff(t.app, admin, 'admin', 'Second Admin');
  const ctx: Ctx = {
    t,
    admin,
    staff: (role = 'user') => createStaff(t.app, admin, role),
    code,
    secondAdmin: second.session,
  };
  for (const key of keys.filter((k) => k !== 'POST /api/v1/setup')) {
    const call = await (scenarios[key] as Scenario).call(ctx);
    const session = call.session === undefined ? admin : call.session;
    if (call.multipart !== undefined) {
      const m = multipart(call.multipart);
      await check(key, () =>
        (session as Session).inject({ method: 'POST', url: call.url, payload: m.payload, headers: m.headers }),
      );
      continue;
    }
    await check(key, () =>
      session
        ? session.inject({
            method: call.method as 'POST',
            url: call.url,
            ...(call.payload === undefined ? {} : { payload: call.payload as object }),
          })
        : t.app.inject({ method: call.method as 'POST', url: call.url, payload: call.payload as object }),
    );
  }
  return checked;
}
