/**
 * The route × principal matrix (reliability #2): every route the server has, called by every
 * kind of principal, against an oracle computed from the catalog and the role templates —
 * not from the code under test. A new route must be added to GUARDS, or this test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_KEYS } from '../src/shared/permissions/catalog.ts';
import { TEMPLATES } from '../src/shared/permissions/templates.ts';
import {
  ADMIN_PASSWORD,
  createStaff,
  createTestApp,
  ENGINES,
  login,
  type Session,
  sessionFrom,
  setupBusiness,
  type TestApp,
} from './harness.ts';

/** The guard each route must have: the spec, written down here. */
const GUARDS: Record<string, string> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/docs/': 'public',
  'GET /api/docs/json': 'public',
  'GET /api/docs/yaml': 'public',
  'GET /api/docs/static/index.html': 'public',
  'GET /api/docs/static/swagger-initializer.js': 'public',
  'GET /api/docs/static/*': 'public',
  'GET /api/v1/setup': 'public',
  'POST /api/v1/setup': 'public',
  'POST /api/v1/auth/login': 'public',
  'GET /api/v1/me': 'authenticated',
  'POST /api/v1/auth/elevate': 'authenticated',
  'POST /api/v1/auth/password': 'authenticated',
  'GET /api/v1/auth/sessions': 'authenticated',
  'DELETE /api/v1/auth/sessions/:sessionId': 'authenticated',
  'GET /api/v1/users': 'users.view',
  'POST /api/v1/users': 'users.add',
  'GET /api/v1/users/:id': 'users.view',
  'PATCH /api/v1/users/:id': 'users.edit',
  'PUT /api/v1/users/:id/role': 'users.edit',
  'POST /api/v1/users/:id/deactivate': 'users.delete',
  'POST /api/v1/users/:id/reactivate': 'users.delete',
  'POST /api/v1/users/:id/reset-password': 'users.reset_password',
  'GET /api/v1/users/:id/sessions': 'users.edit',
  'DELETE /api/v1/users/:id/sessions': 'users.edit',
  'DELETE /api/v1/users/:id/sessions/:sessionId': 'users.edit',
  'GET /api/v1/users/:id/permissions': 'settings.permissions',
  'GET /api/v1/users/:id/permissions/:permission/explain': 'settings.permissions',
  'PUT /api/v1/users/:id/permissions/:permission': 'users.manage_permissions',
  'POST /api/v1/permissions/bulk': 'users.manage_permissions',
  'GET /api/v1/permission-requests': 'users.manage_permissions',
  'POST /api/v1/permission-requests/:id/approve': 'users.manage_permissions',
  'POST /api/v1/permission-requests/:id/reject': 'users.manage_permissions',
  'GET /api/v1/roles': 'users.view',
  'POST /api/v1/roles': 'users.manage_permissions',
  'PUT /api/v1/roles/:key': 'users.manage_permissions',
  'DELETE /api/v1/roles/:key': 'users.manage_permissions',
  'GET /api/v1/settings/security': 'settings.view',
  'PUT /api/v1/settings/security': 'settings.edit',
  'GET /api/v1/security/master-code': 'security.rotate_code',
  'POST /api/v1/security/master-code/rotate': 'security.rotate_code',
  'GET /api/v1/api-keys': 'security.api_keys',
  'POST /api/v1/api-keys': 'security.api_keys',
  'DELETE /api/v1/api-keys/:id': 'security.api_keys',
  'GET /api/v1/audit': 'security.audit',
  'GET /api/v1/audit/verify': 'security.audit',
  'POST /api/v1/audit/checkpoints': 'security.audit',
  'GET /api/v1/audit/export': 'security.audit',
  'GET /api/v1/categories': 'categories.view',
  'POST /api/v1/categories': 'categories.add',
  'PUT /api/v1/categories/:id': 'categories.edit',
  'POST /api/v1/categories/:id/archive': 'categories.delete',
  'POST /api/v1/categories/:id/restore': 'categories.delete',
  'GET /api/v1/suppliers': 'suppliers.view',
  'POST /api/v1/suppliers': 'suppliers.add',
  'PUT /api/v1/suppliers/:id': 'suppliers.edit',
  'POST /api/v1/suppliers/:id/archive': 'suppliers.delete',
  'POST /api/v1/suppliers/:id/restore': 'suppliers.delete',
  'GET /api/v1/items': 'inventory.view',
  'POST /api/v1/items': 'inventory.add',
  'GET /api/v1/items/export': 'inventory.export',
  'POST /api/v1/items/import/preview': 'inventory.import',
  'POST /api/v1/items/import': 'inventory.import',
  'POST /api/v1/items/bulk-edit': 'inventory.bulk_edit',
  'GET /api/v1/items/:id': 'inventory.view',
  'PATCH /api/v1/items/:id': 'inventory.edit',
  'POST /api/v1/items/:id/archive': 'inventory.delete',
  'POST /api/v1/items/:id/restore': 'inventory.delete',
  'POST /api/v1/items/:id/stock': 'inventory.manage_stock',
  'GET /api/v1/items/:id/movements': 'inventory.view',
  'GET /api/v1/settings/inventory': 'settings.view',
  'PUT /api/v1/settings/inventory': 'settings.edit',
  'GET /api/v1/stock-counts': 'inventory.count',
  'POST /api/v1/stock-counts': 'inventory.count',
  'GET /api/v1/stock-counts/:id': 'inventory.count',
  'PUT /api/v1/stock-counts/:id/lines': 'inventory.count',
  'POST /api/v1/stock-counts/:id/post': 'inventory.count',
  'POST /api/v1/stock-counts/:id/cancel': 'inventory.count',
  'GET /api/v1/purchase-orders': 'orders.view',
  'GET /api/v1/purchase-orders/suggestions': 'orders.create',
  'POST /api/v1/purchase-orders': 'orders.create',
  'GET /api/v1/purchase-orders/:id': 'orders.view',
  'PUT /api/v1/purchase-orders/:id': 'orders.edit',
  'POST /api/v1/purchase-orders/:id/place': 'orders.create',
  'POST /api/v1/purchase-orders/:id/cancel': 'orders.edit',
  'POST /api/v1/purchase-orders/:id/receive': 'orders.receive',
  'DELETE /api/v1/purchase-orders/:id': 'orders.delete',
  'POST /api/v1/purchase-orders/:id/invoice': 'orders.upload_invoice',
  'GET /api/v1/purchase-orders/:id/invoice': 'orders.view',
  // Last: these end the caller's elevation or session (the matrix revives them before each call).
  'DELETE /api/v1/auth/elevate': 'authenticated',
  'POST /api/v1/auth/logout': 'authenticated',
};

type Outcome = 'pass' | 'unauthenticated' | 'forbidden' | 'elevation';
type Level = 'all' | 'own' | 'elevated' | 'none';

/** The oracle: a role's level for a permission, by walking the template's role data naively. */
function roleLevel(
  template: 'studio' | 'stores',
  role: string,
  permission: string,
  edits: Record<string, Record<string, 'allow' | 'own' | 'elevated'>> = {},
): Level {
  const roles = TEMPLATES[template].roles.map((r) => ({ ...r, entries: { ...r.entries, ...edits[r.key] } }));
  const seen = new Set<string>();
  const levels: Level[] = [];
  const walk = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const r = roles.find((x) => x.key === key);
    if (!r) throw new Error(`no role ${key}`);
    const p = r.entries[permission];
    if (p === 'allow') levels.push('all');
    else if (p === 'own') levels.push('own');
    else if (p === 'elevated') levels.push('elevated');
    for (const parent of r.inherits) walk(parent);
  };
  walk(role);
  for (const l of ['all', 'own', 'elevated'] as const) if (levels.includes(l)) return l;
  return 'none';
}

type Principal = {
  name: string;
  /** null = anonymous */
  headers: () => Promise<Record<string, string>>;
  /** What the principal may do with `permission`, per the oracle. */
  expect(permission: string): Outcome;
  authenticated: boolean;
};

function outcomeOf(level: Level, elevated: boolean): Outcome {
  if (level === 'all' || level === 'own') return 'pass';
  if (level === 'elevated') return elevated ? 'pass' : 'elevation';
  return 'forbidden';
}

function classify(res: { statusCode: number; json(): { type?: string; permission?: string } }, guard: string): Outcome {
  if (res.statusCode === 401) return 'unauthenticated';
  if (res.statusCode === 403) {
    const body = res.json();
    if (body.type?.endsWith(':elevation-required')) return 'elevation';
    if (body.type?.endsWith(':forbidden') && body.permission === guard) return 'forbidden';
  }
  return 'pass';
}

const FAKE_ID = '00000000-0000-4000-8000-000000000000';
const fill = (url: string) =>
  url
    .replace(':permission', 'inventory.view')
    .replace(':sessionId', 'nope')
    .replace(':key', 'nope')
    .replace(':id', FAKE_ID)
    .replace('*', 'missing.js');

async function runMatrix(t: TestApp, principals: Principal[]): Promise<void> {
  const routes = t.app
    .routeGuards()
    .filter((r) => r.method !== 'HEAD')
    .map((r) => ({ key: `${r.method} ${r.url}`, ...r }));
  // The server's routes and the spec's are the same set, each with the same guard.
  expect(Object.fromEntries(routes.map((r) => [r.key, r.guard]))).toEqual(GUARDS);
  const order = Object.keys(GUARDS);
  routes.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  const mismatches: string[] = [];
  let calls = 0;
  for (const route of routes) {
    for (const p of principals) {
      const expected: Outcome =
        route.guard === 'public'
          ? 'pass'
          : !p.authenticated
            ? 'unauthenticated'
            : route.guard === 'authenticated'
              ? 'pass'
              : p.expect(route.guard);
      const res = await t.app.inject({
        method: route.method as 'GET',
        url: fill(route.url),
        headers: await p.headers(),
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
      });
      calls++;
      if (res.statusCode >= 500) mismatches.push(`${route.key} as ${p.name}: ${res.statusCode} ${res.body}`);
      const got = classify(res, route.guard);
      if (got !== expected)
        mismatches.push(`${route.key} as ${p.name}: expected ${expected}, got ${got} (${res.statusCode})`);
    }
  }
  expect(mismatches).toEqual([]);
  expect(calls).toBe(routes.length * principals.length);
}

/** A signed-in principal whose session is revived (and its elevation reset) before every call. */
function sessionPrincipal(
  t: TestApp,
  name: string,
  session: Session,
  expectFn: (permission: string) => Outcome,
  elevatedUntil: () => string | null = () => null,
  authenticated = true,
): Principal {
  const id = async () => {
    const row = await t.app.services.database.db
      .selectFrom('sessions')
      .select('id')
      .where('csrf_token', '=', session.csrfToken)
      .executeTakeFirstOrThrow();
    return row.id;
  };
  return {
    name,
    authenticated,
    expect: expectFn,
    headers: async () => {
      await t.app.services.database.db
        .updateTable('sessions')
        .set({ ended_at: null, elevated_until: elevatedUntil() })
        .where('id', '=', await id())
        .execute();
      return { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
    },
  };
}

const anonymous: Principal = {
  name: 'anonymous',
  authenticated: false,
  headers: async () => ({}),
  expect: () => 'unauthenticated',
};

async function overrides(
  t: TestApp,
  userId: string,
  by: string,
  effect: 'grant' | 'deny',
  scope: 'any' | 'own',
  keep: (p: string) => boolean,
) {
  const rows = PERMISSION_KEYS.filter(keep).map((permission) => ({
    user_id: userId,
    permission,
    effect,
    scope,
    expires_at: null,
    reason: 'matrix',
    granted_by: by,
    created_at: new Date(t.clock.now).toISOString(),
  }));
  await t.app.services.database.db.insertInto('user_overrides').values(rows).execute();
}

describe.each(ENGINES)('route × principal matrix on %s', (engine) => {
  describe('stores', () => {
    let t: TestApp;
    const principals: Principal[] = [anonymous];
    beforeAll(async () => {
      t = await createTestApp(engine);
      const a = await setupBusiness(t.app, 'stores');
      const admin = await login(t.app, a.email, ADMIN_PASSWORD);
      const level = (role: string) => (p: string) => outcomeOf(roleLevel('stores', role, p), false);
      for (const role of ['user', 'superuser', 'admin']) {
        const s = await createStaff(t.app, admin, role);
        principals.push(sessionPrincipal(t, role, s.session, level(role)));
      }
      // A User with every permission granted explicitly, and one with own-record grants only.
      const granted = await createStaff(t.app, admin, 'user');
      await overrides(t, granted.id, a.adminId, 'grant', 'any', () => true);
      principals.push(sessionPrincipal(t, 'user + grant(any) of all', granted.session, () => 'pass'));
      const own = await createStaff(t.app, admin, 'user');
      await overrides(t, own.id, a.adminId, 'grant', 'own', (p) => roleLevel('stores', 'user', p) === 'none');
      principals.push(sessionPrincipal(t, 'user + grant(own) of the rest', own.session, () => 'pass'));
      // An Admin with every permission denied: deny beats the role.
      const denied = await createStaff(t.app, admin, 'admin');
      await overrides(t, denied.id, a.adminId, 'deny', 'any', () => true);
      principals.push(sessionPrincipal(t, 'admin + deny of all', denied.session, () => 'forbidden'));
      // An API key of the admin carrying every other permission.
      const carried = PERMISSION_KEYS.filter((_, i) => i % 2 === 0);
      const key = await admin.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'matrix', permissions: carried },
      });
      expect(key.statusCode).toBe(201);
      principals.push({
        name: 'API key (half the catalog)',
        authenticated: true,
        headers: async () => ({ authorization: `Bearer ${key.json().key}` }),
        expect: (p) => (carried.includes(p) ? 'pass' : 'forbidden'),
      });
      // A deactivated Superuser whose session was open.
      const gone = await createStaff(t.app, admin, 'superuser');
      const d = await admin.inject({ method: 'POST', url: `/api/v1/users/${gone.id}/deactivate`, payload: {} });
      expect(d.statusCode).toBe(200);
      principals.push(
        sessionPrincipal(
          t,
          'deactivated superuser',
          gone.session,
          () => 'unauthenticated',
          () => null,
          false,
        ),
      );
    });
    afterAll(async () => t.close());

    it('gives every route the outcome the oracle expects for every principal', { timeout: 180_000 }, async () => {
      await runMatrix(t, principals);
    });
  });

  describe('studio', () => {
    let t: TestApp;
    const principals: Principal[] = [anonymous];
    beforeAll(async () => {
      t = await createTestApp(engine);
      const a = await setupBusiness(t.app, 'studio');
      const admin = await login(t.app, a.email, ADMIN_PASSWORD);
      // No studio route needs the master code yet (agenda, clients and sales come later), so the
      // admin gives the Assistant two elevated entries in the role editor; the oracle knows them.
      const edits = { assistant: { 'users.view': 'elevated', 'settings.view': 'elevated' } } as const;
      const roles = (await admin.inject({ method: 'GET', url: '/api/v1/roles' })).json().items;
      const assistantRole = roles.find((r: { key: string }) => r.key === 'assistant');
      const edit = await admin.inject({
        method: 'PUT',
        url: '/api/v1/roles/assistant',
        payload: { name: assistantRole.name, entries: { ...assistantRole.entries, ...edits.assistant } },
      });
      expect(edit.statusCode).toBe(200);
      const level = (role: string, elevated: boolean) => (p: string) =>
        outcomeOf(roleLevel('studio', role, p, edits), elevated);
      for (const role of ['admin', 'assistant', 'artist']) {
        const s = await createStaff(t.app, admin, role);
        principals.push(sessionPrincipal(t, role, s.session, level(role, false)));
      }
      const code = (await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' })).json().code;
      // Elevated at T0, then the clock moves 6 minutes: that elevation has expired.
      const expired = await createStaff(t.app, admin, 'assistant');
      const e1 = await expired.session.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
      expect(e1.statusCode).toBe(200);
      const expiredUntil = e1.json().elevatedUntil;
      t.clock.advance(6 * 60_000);
      principals.push(
        sessionPrincipal(
          t,
          'assistant, elevation expired',
          sessionFrom(t.app, e1),
          level('assistant', false),
          () => expiredUntil,
        ),
      );
      const live = await createStaff(t.app, admin, 'assistant');
      const e2 = await live.session.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
      const liveUntil = e2.json().elevatedUntil;
      principals.push(
        sessionPrincipal(t, 'assistant, elevated', sessionFrom(t.app, e2), level('assistant', true), () => liveUntil),
      );
    });
    afterAll(async () => t.close());

    it('gives every route the outcome the oracle expects for every principal', { timeout: 180_000 }, async () => {
      await runMatrix(t, principals);
    });
  });
});
