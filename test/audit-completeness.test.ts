/**
 * Reliability #14: every mutating route writes its audit event. Each route below is called once,
 * successfully, on one record, and must add exactly one event with the named action (setup,
 * which creates the business and its first admin, adds two). A new mutating route must be
 * added here, or this test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createStaff, createTestApp, ENGINES, login, type Session, type TestApp } from './harness.ts';

type Ctx = {
  t: TestApp;
  admin: Session;
  /** A fresh staff member of the given role, for routes that change or end something of theirs. */
  staff(role?: string): Promise<{ id: string; email: string; session: Session }>;
  /** The current master code. */
  code: string;
  /** Another admin, for approvals (nobody approves their own request). */
  secondAdmin: Session;
};

type Call = { session?: Session | null; method: string; url: string; payload?: unknown };
type Scenario = { action: string | string[]; status?: number; call(c: Ctx): Promise<Call> };

const SCENARIOS: Record<string, Scenario> = {
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
    call: async (c) => ({
      session: (await c.staff()).session,
      method: 'POST',
      url: '/api/v1/auth/elevate',
      payload: { code: c.code },
    }),
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
      payload: { name: 'Counter user', inherits: [], entries: { 'inventory.view': 'allow' } },
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
  'POST /api/v1/audit/checkpoints': {
    action: 'audit.checkpoint',
    call: async () => ({ method: 'POST', url: '/api/v1/audit/checkpoints' }),
  },
};

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

describe.each(ENGINES)('every mutating route writes its audit event on %s', (engine) => {
  let t: TestApp;
  let ctx: Ctx;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('covers every mutating route', () => {
    const mutating = t.app
      .routeGuards()
      .filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(mutating).toEqual(Object.keys(SCENARIOS).sort());
  });

  it('writes exactly the expected event for one successful call of each', async () => {
    const db = t.app.services.database.db;
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
      const s = SCENARIOS[key] as Scenario;
      const before = await head();
      const res = await run();
      expect(res.statusCode, `${key}: ${res.body}`).toBe(s.status ?? 200);
      const events = await db
        .selectFrom('audit_events')
        .select(['action', 'request_id'])
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
    };
    // Setup first: everything else needs the business.
    const setupCall = await (SCENARIOS['POST /api/v1/setup'] as Scenario).call({} as Ctx);
    await check('POST /api/v1/setup', () =>
      t.app.inject({ method: 'POST', url: setupCall.url, payload: setupCall.payload as object }),
    );
    const admin = await login(t.app, 'first@example.com', ADMIN_PASSWORD);
    const code = (await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' })).json().code;
    const second = await createStaff(t.app, admin, 'admin', 'Second Admin');
    ctx = {
      t,
      admin,
      staff: (role = 'user') => createStaff(t.app, admin, role),
      code,
      secondAdmin: second.session,
    };
    for (const key of Object.keys(SCENARIOS).filter((k) => k !== 'POST /api/v1/setup')) {
      const call = await (SCENARIOS[key] as Scenario).call(ctx);
      const session = call.session === undefined ? admin : call.session;
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
  });
});
