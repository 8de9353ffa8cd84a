/**
 * The route × principal matrix (reliability #2 and #26), as functions: matrix.test.ts runs them
 * on the real app, module-test.test.ts on an app with a throw-away module. The routes come from
 * iterating the app's modules (each route declares its permission and resource); the expected
 * outcome of each call is computed from the catalog, the role templates and the resources'
 * owners — not from the guard under test.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { RouteGuard } from '../src/server/http/guard.ts';
import { resources } from '../src/server/http/scope.ts';
import { insertRoles } from '../src/server/modules/roles/roles.repository.ts';
import { RolesService } from '../src/server/modules/roles/roles.service.ts';
import { PERMISSION_KEYS } from '../src/shared/permissions/catalog.ts';
import { MODULES, type ModuleDef, TEMPLATES } from '../src/shared/permissions/templates.ts';
import { createStaff, type Session, type TestApp } from './harness.ts';

/** Routes that end the caller's elevation or session: called last (the matrix revives them before each call). */
const LAST = ['DELETE /api/v1/auth/elevate', 'POST /api/v1/auth/logout'];

/** Routes the framework adds (the API description and its browser), outside every module. */
const FRAMEWORK = /^GET \/api\/(openapi\.json|docs(\/.*)?)$/;

export type MatrixRoute = RouteGuard & { key: string };

/**
 * The routes the matrix covers, found by iterating the app's modules: every route a module
 * registered, in module order (session-ending ones last). A route outside every module other than
 * the framework's API docs, or a module with routes that registered none, is a failure.
 */
export function matrixRoutes(app: FastifyInstance): MatrixRoute[] {
  const all = app
    .routeGuards()
    .filter((r) => r.method !== 'HEAD')
    .map((r) => ({ ...r, key: `${r.method} ${r.url}` }));
  const stray = all.filter((r) => r.module === null && !(FRAMEWORK.test(r.key) && r.guard === 'public'));
  expect(
    stray.map((r) => r.key),
    'routes outside every module',
  ).toEqual([]);
  const routes: MatrixRoute[] = [];
  for (const m of app.modules) {
    const mine = all.filter((r) => r.module === m.key);
    if (m.routes !== null) expect(mine.length, `module ${m.key} registered no route`).toBeGreaterThan(0);
    routes.push(...mine);
  }
  routes.push(...all.filter((r) => r.module === null));
  const rank = (r: MatrixRoute) => (LAST.includes(r.key) ? 1 : 0);
  return routes.sort((a, b) => rank(a) - rank(b));
}

/** The guard table (`METHOD url` → `permission on resource`), for review in the snapshot. */
export function guardTable(app: FastifyInstance): Record<string, string> {
  return Object.fromEntries(
    matrixRoutes(app).map((r) => [r.key, r.resource === null ? r.guard : `${r.guard} on ${r.resource}`]),
  );
}

/** The owner column of a resource, from the registry the modules declare (null: no owner). */
function ownerOf(resource: string | null): string | null {
  return resource === null ? null : (resources()[resource]?.owner ?? null);
}

export type Outcome = 'pass' | 'unauthenticated' | 'forbidden' | 'elevation' | 'own-only' | 'module-off';
export type Level = 'all' | 'own' | 'elevated' | 'none';

/**
 * The oracle: a role's level for a permission, by walking the template's role data naively
 * (`allow` anywhere: all; `elevated` while elevated: all; then `own`; then `elevated`).
 */
export function roleLevel(
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
export function outcomeOf(level: Level, elevated: boolean, resource: string | null): Outcome {
  if (level === 'all') return 'pass';
  if (level === 'own') return ownerOf(resource) !== null ? 'pass' : 'own-only';
  if (level === 'elevated') return elevated ? 'pass' : 'elevation';
  return 'forbidden';
}

export type Principal = {
  name: string;
  /** null = anonymous */
  headers: () => Promise<Record<string, string>>;
  /** What the principal may do with `permission` on a route acting on `resource`, per the oracle. */
  expect(permission: string, resource: string | null): Outcome;
  authenticated: boolean;
};

export function classify(
  res: { statusCode: number; json(): { type?: string; permission?: string } },
  guard: string,
): Outcome {
  if (res.statusCode === 401) return 'unauthenticated';
  if (res.statusCode === 403) {
    const body = res.json();
    if (body.type?.endsWith(':module-off')) return 'module-off';
    if (body.type?.endsWith(':elevation-required')) return 'elevation';
    if (body.type?.endsWith(':forbidden') && body.permission === guard) return 'forbidden';
    if (body.type?.endsWith(':own-only') && body.permission === guard) return 'own-only';
  }
  return 'pass';
}

/** The oracle's own reading of templates.ts: the permission's module (claimed by name, else by area) is off. */
function switchedOff(permission: string, on: readonly string[]): boolean {
  const m =
    MODULES.find((x) => (x as ModuleDef).permissions?.includes(permission)) ??
    MODULES.find((x) => (x.areas as readonly string[]).includes(permission.split('.')[0] as string));
  return m !== undefined && !(m as ModuleDef).alwaysOn && !on.includes(m.key);
}

const FAKE_ID = '00000000-0000-4000-8000-000000000000';
const fill = (url: string) =>
  url
    .replace(':permission', 'inventory.view')
    .replace(':sessionId', 'nope')
    .replace(':key', 'nope')
    .replace(':id', FAKE_ID)
    .replace('*', 'missing.js');

/**
 * Calls every route as every principal. `modules` are the business modules switched on: a route
 * whose permission belongs to another is refused as `module-off` to every signed-in principal
 * (the oracle reads the module list in templates.ts, not the guard).
 */
export async function runMatrix(t: TestApp, principals: Principal[], modules: readonly string[]): Promise<void> {
  const routes = matrixRoutes(t.app);
  const mismatches: string[] = [];
  let calls = 0;
  for (const route of routes) {
    const { resource } = route;
    for (const p of principals) {
      const expected: Outcome =
        route.guard === 'public'
          ? 'pass'
          : !p.authenticated
            ? 'unauthenticated'
            : route.guard === 'authenticated'
              ? 'pass'
              : switchedOff(route.guard, modules)
                ? 'module-off'
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
export function sessionPrincipal(
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

export const anonymous: Principal = {
  name: 'anonymous',
  authenticated: false,
  headers: async () => ({}),
  expect: () => 'unauthenticated',
};

export async function overrides(
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
export const OWN_ROLE = {
  key: 'own-everything',
  name: 'Own records only',
  inherits: [] as string[],
  entries: Object.fromEntries(PERMISSION_KEYS.map((p) => [p, 'own' as const])),
};

export async function ownRoleStaff(t: TestApp, admin: Session, baseRole: string) {
  const now = new Date(t.clock.now).toISOString();
  await t.app.services.database.db.transaction().execute(async (trx) => {
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

export type Who = { id: string; handle: string; keyId: string };
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
export const OWNED_CALLS: Record<string, OwnedCall[]> = {
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
  'POST /api/v1/users/:id/two-factor/reset': [{ request: (w) => ({ url: `/api/v1/users/${w.id}/two-factor/reset` }) }],
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
export async function runOwnerChecks(
  t: TestApp,
  principal: Principal & { self: () => Promise<Who> },
  other: () => Promise<Who>,
): Promise<number> {
  const routes = matrixRoutes(t.app)
    .filter((r) => ownerOf(r.resource) !== null)
    .map((r) => r.key);
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
export async function whoIs(t: TestApp, p: Principal, userId: string): Promise<Who> {
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
