/**
 * The route × principal matrix (reliability #2 and #26): every route the server has, called by
 * every kind of principal, against an oracle computed from the catalog, the role templates and
 * the ownership spec below — not from the code under test. A new route must be added to GUARDS
 * (with the resource it acts on), or this test fails. Own grants and `own` role entries are
 * checked at the route (refused on resources without an owner) and against owner and non-owner
 * records on every path of an owned resource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../src/server/db/database.ts';
import { resources } from '../src/server/http/scope.ts';
import { insertRoles } from '../src/server/modules/roles/roles.repository.ts';
import { RolesService } from '../src/server/modules/roles/roles.service.ts';
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
  'GET /api/v1/users': 'users.view on user',
  'POST /api/v1/users': 'users.add on user',
  'GET /api/v1/users/:id': 'users.view on user',
  'PATCH /api/v1/users/:id': 'users.edit on user',
  'PUT /api/v1/users/:id/role': 'users.edit on user',
  'POST /api/v1/users/:id/deactivate': 'users.delete on user',
  'POST /api/v1/users/:id/reactivate': 'users.delete on user',
  'POST /api/v1/users/:id/reset-password': 'users.reset_password on user',
  'GET /api/v1/users/:id/sessions': 'users.edit on user',
  'DELETE /api/v1/users/:id/sessions': 'users.edit on user',
  'DELETE /api/v1/users/:id/sessions/:sessionId': 'users.edit on user',
  'GET /api/v1/users/:id/permissions': 'settings.permissions on user',
  'GET /api/v1/users/:id/permissions/:permission/explain': 'settings.permissions on user',
  'PUT /api/v1/users/:id/permissions/:permission': 'users.manage_permissions on user',
  'POST /api/v1/permissions/bulk': 'users.manage_permissions on user',
  'GET /api/v1/permission-requests': 'users.manage_permissions on permission_request',
  'POST /api/v1/permission-requests/:id/approve': 'users.manage_permissions on permission_request',
  'POST /api/v1/permission-requests/:id/reject': 'users.manage_permissions on permission_request',
  'GET /api/v1/roles': 'users.view on role',
  'POST /api/v1/roles': 'users.manage_permissions on role',
  'PUT /api/v1/roles/:key': 'users.manage_permissions on role',
  'DELETE /api/v1/roles/:key': 'users.manage_permissions on role',
  'GET /api/v1/settings/security': 'settings.view on settings',
  'PUT /api/v1/settings/security': 'settings.edit on settings',
  'GET /api/v1/security/master-code': 'security.rotate_code on master_code',
  'POST /api/v1/security/master-code/rotate': 'security.rotate_code on master_code',
  'GET /api/v1/api-keys': 'security.api_keys on api_key',
  'POST /api/v1/api-keys': 'security.api_keys on api_key',
  'DELETE /api/v1/api-keys/:id': 'security.api_keys on api_key',
  'GET /api/v1/audit': 'security.audit on audit_event',
  'GET /api/v1/audit/verify': 'security.audit on audit_chain',
  'POST /api/v1/audit/checkpoints': 'security.audit on audit_chain',
  'GET /api/v1/audit/export': 'security.audit on audit_event',
  'GET /api/v1/categories': 'categories.view on category',
  'POST /api/v1/categories': 'categories.add on category',
  'PUT /api/v1/categories/:id': 'categories.edit on category',
  'POST /api/v1/categories/:id/archive': 'categories.delete on category',
  'POST /api/v1/categories/:id/restore': 'categories.delete on category',
  'GET /api/v1/suppliers': 'suppliers.view on supplier',
  'POST /api/v1/suppliers': 'suppliers.add on supplier',
  'PUT /api/v1/suppliers/:id': 'suppliers.edit on supplier',
  'POST /api/v1/suppliers/:id/archive': 'suppliers.delete on supplier',
  'POST /api/v1/suppliers/:id/restore': 'suppliers.delete on supplier',
  'GET /api/v1/items': 'inventory.view on item',
  'POST /api/v1/items': 'inventory.add on item',
  'GET /api/v1/items/export': 'inventory.export on item',
  'POST /api/v1/items/import/preview': 'inventory.import on item',
  'POST /api/v1/items/import': 'inventory.import on item',
  'POST /api/v1/items/bulk-edit': 'inventory.bulk_edit on item',
  'GET /api/v1/items/:id': 'inventory.view on item',
  'PATCH /api/v1/items/:id': 'inventory.edit on item',
  'POST /api/v1/items/:id/archive': 'inventory.delete on item',
  'POST /api/v1/items/:id/restore': 'inventory.delete on item',
  'POST /api/v1/items/:id/stock': 'inventory.manage_stock on item',
  'GET /api/v1/items/:id/movements': 'inventory.view on item',
  'GET /api/v1/settings/inventory': 'settings.view on settings',
  'PUT /api/v1/settings/inventory': 'settings.edit on settings',
  'GET /api/v1/stock-counts': 'inventory.count on stock_count',
  'POST /api/v1/stock-counts': 'inventory.count on stock_count',
  'GET /api/v1/stock-counts/:id': 'inventory.count on stock_count',
  'PUT /api/v1/stock-counts/:id/lines': 'inventory.count on stock_count',
  'POST /api/v1/stock-counts/:id/post': 'inventory.count on stock_count',
  'POST /api/v1/stock-counts/:id/cancel': 'inventory.count on stock_count',
  'GET /api/v1/purchase-orders': 'orders.view on purchase_order',
  'GET /api/v1/purchase-orders/suggestions': 'orders.create on purchase_order',
  'POST /api/v1/purchase-orders': 'orders.create on purchase_order',
  'GET /api/v1/purchase-orders/:id': 'orders.view on purchase_order',
  'PUT /api/v1/purchase-orders/:id': 'orders.edit on purchase_order',
  'POST /api/v1/purchase-orders/:id/place': 'orders.create on purchase_order',
  'POST /api/v1/purchase-orders/:id/cancel': 'orders.edit on purchase_order',
  'POST /api/v1/purchase-orders/:id/receive': 'orders.receive on purchase_order',
  'DELETE /api/v1/purchase-orders/:id': 'orders.delete on purchase_order',
  'POST /api/v1/purchase-orders/:id/invoice': 'orders.upload_invoice on purchase_order',
  'GET /api/v1/purchase-orders/:id/invoice': 'orders.view on purchase_order',
  // Last: these end the caller's elevation or session (the matrix revives them before each call).
  'DELETE /api/v1/auth/elevate': 'authenticated',
  'POST /api/v1/auth/logout': 'authenticated',
};

/**
 * How each resource is owned: the spec, written down here (a user owns their account, an audit
 * event belongs to whoever acted, an API key to its maker; nothing else has an owner yet).
 */
const OWNERS: Record<string, string | null> = {
  user: 'id',
  audit_event: 'actor_user_id',
  api_key: 'user_id',
  audit_chain: null,
  role: null,
  permission_request: null,
  settings: null,
  master_code: null,
  item: null,
  category: null,
  supplier: null,
  stock_count: null,
  purchase_order: null,
};

/** A route's spec: its guard, and for permission routes the resource it acts on. */
function specOf(key: string): { guard: string; resource: string | null } {
  const [guard, resource] = (GUARDS[key] as string).split(' on ');
  return { guard: guard as string, resource: resource ?? null };
}

type Outcome = 'pass' | 'unauthenticated' | 'forbidden' | 'elevation' | 'own-only';
type Level = 'all' | 'own' | 'elevated' | 'none';

/**
 * The oracle: a role's level for a permission, by walking the template's role data naively
 * (`allow` anywhere: all; `elevated` while elevated: all; then `own`; then `elevated`).
 */
function roleLevel(
  template: 'studio' | 'stores',
  role: string,
  permission: string,
  edits: Record<string, Record<string, 'allow' | 'own' | 'elevated'>> = {},
  elevated = false,
  extraRoles: readonly { key: string; inherits: readonly string[]; entries: Record<string, string> }[] = [],
): Level {
  const roles = [
    ...TEMPLATES[template].roles.map((r) => ({ ...r, entries: { ...r.entries, ...edits[r.key] } })),
    ...extraRoles,
  ];
  const seen = new Set<string>();
  const policies = new Set<string>();
  const walk = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const r = roles.find((x) => x.key === key);
    if (!r) throw new Error(`no role ${key}`);
    const p = (r.entries as Record<string, string>)[permission];
    if (p) policies.add(p);
    for (const parent of r.inherits) walk(parent);
  };
  walk(role);
  if (policies.has('allow') || (policies.has('elevated') && elevated)) return 'all';
  if (policies.has('own')) return 'own';
  if (policies.has('elevated')) return 'elevated';
  return 'none';
}

/** What a level means on a route: `own` passes only where the route's resource has an owner. */
function outcomeOf(level: Level, elevated: boolean, resource: string | null): Outcome {
  if (level === 'all') return 'pass';
  if (level === 'own') return resource !== null && OWNERS[resource] ? 'pass' : 'own-only';
  if (level === 'elevated') return elevated ? 'pass' : 'elevation';
  return 'forbidden';
}

type Principal = {
  name: string;
  /** null = anonymous */
  headers: () => Promise<Record<string, string>>;
  /** What the principal may do with `permission` on a route acting on `resource`, per the oracle. */
  expect(permission: string, resource: string | null): Outcome;
  authenticated: boolean;
};

function classify(res: { statusCode: number; json(): { type?: string; permission?: string } }, guard: string): Outcome {
  if (res.statusCode === 401) return 'unauthenticated';
  if (res.statusCode === 403) {
    const body = res.json();
    if (body.type?.endsWith(':elevation-required')) return 'elevation';
    if (body.type?.endsWith(':forbidden') && body.permission === guard) return 'forbidden';
    if (body.type?.endsWith(':own-only') && body.permission === guard) return 'own-only';
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
  // The server's routes and the spec's are the same set, each with the same guard and resource.
  expect(
    Object.fromEntries(routes.map((r) => [r.key, r.resource === null ? r.guard : `${r.guard} on ${r.resource}`])),
  ).toEqual(GUARDS);
  const order = Object.keys(GUARDS);
  routes.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  const mismatches: string[] = [];
  let calls = 0;
  for (const route of routes) {
    const { resource } = specOf(route.key);
    for (const p of principals) {
      const expected: Outcome =
        route.guard === 'public'
          ? 'pass'
          : !p.authenticated
            ? 'unauthenticated'
            : route.guard === 'authenticated'
              ? 'pass'
              : p.expect(route.guard, resource);
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
  expectFn: (permission: string, resource: string | null) => Outcome,
  elevatedUntil: () => string | null = () => null,
  authenticated = true,
): Principal {
  const row = async () =>
    t.app.services.database.db
      .selectFrom('sessions')
      .select(['id', 'user_id'])
      .where('csrf_token', '=', session.csrfToken)
      .executeTakeFirstOrThrow();
  return {
    name,
    authenticated,
    expect: expectFn,
    headers: async () => {
      const { id, user_id } = await row();
      await t.app.services.database.db
        .updateTable('sessions')
        .set({ ended_at: null, elevated_until: elevatedUntil() })
        .where('id', '=', id)
        .execute();
      // A reset of one's own password (allowed on own records) must not block the next call.
      await t.app.services.database.db
        .updateTable('users')
        .set({ must_change_password: 0 })
        .where('id', '=', user_id)
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

/** A custom role whose every entry is `own` (what a role editor can build), given to a new user. */
const OWN_ROLE = {
  key: 'own-everything',
  name: 'Own records only',
  inherits: [] as string[],
  entries: Object.fromEntries(PERMISSION_KEYS.map((p) => [p, 'own' as const])),
};

async function ownRoleStaff(t: TestApp, admin: Session, baseRole: string) {
  const now = new Date(t.clock.now).toISOString();
  await transaction(t.app.services.database.db, async (trx) => {
    await insertRoles(trx, [{ ...OWN_ROLE, description: 'matrix', builtin: false }], now);
    await RolesService.bumpVersion(trx, now);
  });
  // Created with a built-in role, then moved to this one in the database (it holds critical entries).
  const staff = await createStaff(t.app, admin, baseRole);
  await t.app.services.database.db
    .updateTable('users')
    .set({ role_key: OWN_ROLE.key })
    .where('id', '=', staff.id)
    .execute();
  return staff;
}

// --- owner / non-owner records -----------------------------------------------------------------

type Who = { id: string; handle: string; keyId: string };
type OwnedCall = {
  /** The call acting on `who`'s records (or, for a create, made on behalf of `who`). */
  request(who: Who): { url: string; payload?: unknown };
  /** Lists: the owner ids of the records a response returned. */
  owners?(body: string): string[];
  /** Creates: what an `own` scope may create (an account: nothing; an API key: one's own). */
  create?: 'refused' | 'own';
};

const reason = 'matrix owner check';
/**
 * One call per route on an owned resource. A route on an owned resource without an entry here
 * fails the test: every path (list, by id, search, export, bulk) is checked with owner and
 * non-owner records.
 */
const OWNED_CALLS: Record<string, OwnedCall[]> = {
  'GET /api/v1/users': [
    { request: () => ({ url: '/api/v1/users?status=all' }), owners: (b) => JSON.parse(b).items.map((u: Id) => u.id) },
  ],
  'POST /api/v1/users': [
    {
      request: () => ({
        url: '/api/v1/users',
        payload: { email: 'new-own@example.com', name: 'New', roleKey: 'user' },
      }),
      create: 'refused',
    },
  ],
  'GET /api/v1/users/:id': [{ request: (w) => ({ url: `/api/v1/users/${w.id}` }) }],
  'PATCH /api/v1/users/:id': [{ request: (w) => ({ url: `/api/v1/users/${w.id}`, payload: { name: 'Renamed' } }) }],
  'PUT /api/v1/users/:id/role': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/role`, payload: { roleKey: 'user', reason } }) },
  ],
  'POST /api/v1/users/:id/deactivate': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/deactivate`, payload: { reason } }) },
  ],
  'POST /api/v1/users/:id/reactivate': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/reactivate`, payload: { reason } }) },
  ],
  'POST /api/v1/users/:id/reset-password': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/reset-password`, payload: {} }) },
  ],
  'GET /api/v1/users/:id/sessions': [{ request: (w) => ({ url: `/api/v1/users/${w.id}/sessions` }) }],
  'DELETE /api/v1/users/:id/sessions': [{ request: (w) => ({ url: `/api/v1/users/${w.id}/sessions` }) }],
  'DELETE /api/v1/users/:id/sessions/:sessionId': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/sessions/${w.handle}` }) },
  ],
  'GET /api/v1/users/:id/permissions': [{ request: (w) => ({ url: `/api/v1/users/${w.id}/permissions` }) }],
  'GET /api/v1/users/:id/permissions/:permission/explain': [
    { request: (w) => ({ url: `/api/v1/users/${w.id}/permissions/inventory.view/explain` }) },
  ],
  'PUT /api/v1/users/:id/permissions/:permission': [
    {
      request: (w) => ({
        url: `/api/v1/users/${w.id}/permissions/inventory.view`,
        payload: { effect: 'inherit', reason },
      }),
    },
  ],
  'POST /api/v1/permissions/bulk': [
    {
      request: (w) => ({
        url: '/api/v1/permissions/bulk',
        payload: { permission: 'inventory.view', effect: 'inherit', reason, userIds: [w.id] },
      }),
    },
  ],
  'GET /api/v1/api-keys': [
    { request: () => ({ url: '/api/v1/api-keys' }), owners: (b) => JSON.parse(b).items.map((k: Owned) => k.user.id) },
  ],
  'POST /api/v1/api-keys': [
    {
      request: () => ({ url: '/api/v1/api-keys', payload: { name: 'own key', permissions: ['inventory.view'] } }),
      create: 'own',
    },
  ],
  'DELETE /api/v1/api-keys/:id': [{ request: (w) => ({ url: `/api/v1/api-keys/${w.keyId}` }) }],
  'GET /api/v1/audit': [
    { request: () => ({ url: '/api/v1/audit?limit=200' }), owners: auditOwners },
    { request: (w) => ({ url: `/api/v1/audit?limit=200&user=${w.id}` }), owners: auditOwners },
  ],
  'GET /api/v1/audit/export': [
    {
      request: () => ({ url: '/api/v1/audit/export?format=json' }),
      owners: (b) => JSON.parse(b).map((e: AuditView) => e.actor.userId),
    },
  ],
};
type Id = { id: string };
type Owned = { user: Id };
type AuditView = { actor: { userId: string | null } };
function auditOwners(body: string): string[] {
  return JSON.parse(body).items.map((e: AuditView) => e.actor.userId);
}

/**
 * Own-scoped principals against the owner's and another user's records on every route of an
 * owned resource: another's record is a 404 (nothing changes), a list holds only own records,
 * an own record is reached.
 */
async function runOwnerChecks(
  t: TestApp,
  principal: Principal & { self: () => Promise<Who> },
  other: () => Promise<Who>,
): Promise<number> {
  const routes = Object.keys(GUARDS).filter((k) => {
    const { resource } = specOf(k);
    return resource !== null && OWNERS[resource] !== null;
  });
  expect(Object.keys(OWNED_CALLS).sort()).toEqual([...routes].sort());
  const mismatches: string[] = [];
  let calls = 0;
  const send = async (route: string, call: { url: string; payload?: unknown }) => {
    calls++;
    return t.app.inject({
      method: route.split(' ')[0] as 'GET',
      url: call.url,
      headers: await principal.headers(),
      ...(call.payload === undefined ? {} : { payload: call.payload as Record<string, unknown> }),
    });
  };
  const fingerprint = async () => {
    const db = t.app.services.database.db;
    const [users, overrides, sessions, keys] = await Promise.all([
      db.selectFrom('users').selectAll().orderBy('id').execute(),
      db.selectFrom('user_overrides').selectAll().orderBy('user_id').orderBy('permission').execute(),
      db.selectFrom('sessions').select(['id', 'ended_at']).orderBy('id').execute(),
      db.selectFrom('api_keys').select(['id', 'revoked_at']).orderBy('id').execute(),
    ]);
    return JSON.stringify({ users, overrides, sessions, keys });
  };
  for (const route of routes) {
    for (const call of OWNED_CALLS[route] ?? []) {
      const self = await principal.self();
      const them = await other();
      if (call.owners) {
        const res = await send(route, call.request(them));
        const owners = res.statusCode === 200 ? call.owners(res.body) : null;
        if (owners === null) mismatches.push(`${route} as ${principal.name}: ${res.statusCode} ${res.body}`);
        else if (owners.some((o) => o !== self.id)) {
          mismatches.push(`${route} as ${principal.name}: listed records of ${[...new Set(owners)].join(', ')}`);
        }
        const mine = await send(route, call.request(self));
        if (mine.statusCode !== 200 || call.owners(mine.body).length === 0) {
          mismatches.push(`${route} as ${principal.name}: own records missing (${mine.statusCode})`);
        }
        continue;
      }
      if (call.create) {
        const before = await fingerprint();
        const res = await send(route, call.request(self));
        if (call.create === 'refused') {
          if (res.statusCode !== 403)
            mismatches.push(`${route} as ${principal.name}: expected 403, got ${res.statusCode}`);
          if ((await fingerprint()) !== before) mismatches.push(`${route} as ${principal.name}: refused, yet wrote`);
        } else if (res.statusCode !== 201 || res.json().apiKey.user.id !== self.id) {
          mismatches.push(`${route} as ${principal.name}: expected 201 for own, got ${res.statusCode} ${res.body}`);
        }
        continue;
      }
      // Another user's record: a 404, as if it did not exist, and nothing changes.
      const before = await fingerprint();
      const theirs = await send(route, call.request(them));
      if (theirs.statusCode !== 404) {
        mismatches.push(`${route} as ${principal.name} on another's record: expected 404, got ${theirs.statusCode}`);
      }
      if ((await fingerprint()) !== before) mismatches.push(`${route} as ${principal.name}: changed another's record`);
      // The principal's own record is reached (the service may still refuse, e.g. deactivating oneself).
      const mine = await send(route, call.request(self));
      if (mine.statusCode === 404 || mine.statusCode >= 500) {
        mismatches.push(`${route} as ${principal.name} on own record: got ${mine.statusCode} ${mine.body}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
  return calls;
}

/** The user, current session handle and a live API key of a signed-in user (made when missing). */
async function whoIs(t: TestApp, p: Principal, userId: string): Promise<Who> {
  const headers = await p.headers();
  const sessions = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers });
  const handle = (sessions.json().items as { id: string; current: boolean }[]).find((s) => s.current)?.id;
  let key = await t.app.services.database.db
    .selectFrom('api_keys')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!key) {
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: await p.headers(),
      payload: { name: 'owner check', permissions: ['inventory.view'] },
    });
    expect(made.statusCode, `${p.name}: ${made.body}`).toBe(201);
    key = { id: made.json().apiKey.id };
  }
  expect(handle).toBeTruthy();
  return { id: userId, handle: handle as string, keyId: key.id };
}

describe('the resource registry', () => {
  it('says how each resource is owned, as the spec does', () => {
    expect(Object.fromEntries(Object.entries(resources()).map(([k, v]) => [k, v.owner]))).toEqual(OWNERS);
  });
});

describe.each(ENGINES)('route × principal matrix on %s', (engine) => {
  describe('stores', () => {
    let t: TestApp;
    const principals: Principal[] = [anonymous];
    let ownPrincipals: (Principal & { self: () => Promise<Who> })[] = [];
    let adminPrincipal: Principal;
    let adminId: string;
    beforeAll(async () => {
      t = await createTestApp(engine);
      const a = await setupBusiness(t.app, 'stores');
      adminId = a.adminId;
      const admin = await login(t.app, a.email, ADMIN_PASSWORD);
      const level = (role: string) => (p: string, r: string | null) =>
        outcomeOf(roleLevel('stores', role, p), false, r);
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
      const ownGrant = sessionPrincipal(t, 'user + grant(own) of the rest', own.session, (p, r) =>
        outcomeOf(roleLevel('stores', 'user', p) === 'none' ? 'own' : roleLevel('stores', 'user', p), false, r),
      );
      principals.push(ownGrant);
      // A user whose role gives every permission on own records only (`own` role entries).
      const ownRole = await ownRoleStaff(t, admin, 'user');
      const ownRolePrincipal = sessionPrincipal(t, 'role with every entry own', ownRole.session, (p, r) =>
        outcomeOf(roleLevel('stores', OWN_ROLE.key, p, {}, false, [OWN_ROLE]), false, r),
      );
      principals.push(ownRolePrincipal);
      ownPrincipals = [
        { ...ownGrant, self: () => whoIs(t, ownGrant, own.id) },
        { ...ownRolePrincipal, self: () => whoIs(t, ownRolePrincipal, ownRole.id) },
      ];
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
      adminPrincipal = sessionPrincipal(t, 'admin (owner of the other records)', admin, () => 'pass');
    });
    afterAll(async () => t.close());

    it('gives every route the outcome the oracle expects for every principal', { timeout: 180_000 }, async () => {
      await runMatrix(t, principals);
    });

    it('limits own grants and own role entries to own records on every path of an owned resource', {
      timeout: 120_000,
    }, async () => {
      let calls = 0;
      for (const p of ownPrincipals) calls += await runOwnerChecks(t, p, () => whoIs(t, adminPrincipal, adminId));
      expect(calls).toBeGreaterThan(2 * Object.keys(OWNED_CALLS).length);
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
      const level = (role: string, elevated: boolean) => (p: string, r: string | null) =>
        outcomeOf(roleLevel('studio', role, p, edits, elevated), elevated, r);
      for (const role of ['admin', 'assistant', 'artist']) {
        const s = await createStaff(t.app, admin, role);
        principals.push(sessionPrincipal(t, role, s.session, level(role, false)));
      }
      const ownRole = await ownRoleStaff(t, admin, 'artist');
      principals.push(
        sessionPrincipal(t, 'role with every entry own', ownRole.session, (p, r) =>
          outcomeOf(roleLevel('studio', OWN_ROLE.key, p, {}, false, [OWN_ROLE]), false, r),
        ),
      );
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
