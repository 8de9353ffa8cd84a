/**
 * Accounts and access (issue 4) through the HTTP API, on every engine: users, temporary
 * passwords, sessions, per-user permissions with their guard rails, roles, approvals,
 * master-code elevation with its throttles, and API keys.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import { API_KEY_PATTERN } from '../src/shared/api-keys.ts';
import { createApiKey, setOverride } from './factories.ts';
import {
  ADMIN_PASSWORD,
  createBusinessApp,
  createStaff,
  createTestApp,
  ENGINES,
  login,
  type Session,
  STAFF_PASSWORD,
  sessionFrom,
  setupBusiness,
  type TestApp,
} from './harness.ts';

const MIN = 60_000;
const typeOf = (res: { json(): { type?: string } }) => res.json().type?.replace('urn:steward:problem:', '');

async function auditActions(t: TestApp, since: number): Promise<string[]> {
  const rows = await t.app.services.database.db
    .selectFrom('audit_events')
    .select(['action', 'outcome'])
    .where('seq', '>', since)
    .orderBy('seq')
    .execute();
  return rows.map((r) => (r.outcome === 'failure' ? `${r.action}:failure` : r.action));
}

describe.each(ENGINES)('users and sessions on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  beforeAll(async () => {
    ({ t, admin, adminId } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it('creates a user with a temporary password that must be changed before anything else', async () => {
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'Tom@Example.com', name: 'Tom', roleKey: 'user' },
    });
    expect(res.statusCode).toBe(201);
    const { user, temporaryPassword } = res.json();
    expect(user).toMatchObject({
      email: 'tom@example.com',
      role: { key: 'user', name: 'User' },
      mustChangePassword: true,
    });
    expect(temporaryPassword).toMatch(/^[A-Za-z0-9-]{14,}$/);

    const tom = await login(t.app, 'tom@example.com', temporaryPassword);
    const me = await tom.inject({ method: 'GET', url: '/api/v1/me' });
    expect(me.json().user.mustChangePassword).toBe(true);
    const blocked = await tom.inject({ method: 'GET', url: '/api/v1/users' });
    expect(blocked.statusCode).toBe(403);
    expect(typeOf(blocked)).toBe('password-change-required');

    const weak = await tom.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: temporaryPassword, newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors[0].path).toBe('newPassword');

    const changed = await tom.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: temporaryPassword, newPassword: STAFF_PASSWORD },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().user.mustChangePassword).toBe(false);
    // A new session id: the old cookie is dead, the new one works.
    expect((await tom.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const fresh = sessionFrom(t.app, changed);
    expect(fresh.cookie).not.toBe(tom.cookie);
    expect((await fresh.inject({ method: 'GET', url: '/api/v1/inventory-none' })).statusCode).toBe(404);
    expect((await fresh.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });

  it('refuses unknown fields (mass assignment) and a duplicate email, writing nothing', async () => {
    const before = await countAuditEvents(t.app.services.database.db);
    const extra = await admin.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'x@example.com', name: 'X', roleKey: 'user', active: false, id: 'mine' },
    });
    expect(extra.statusCode).toBe(400);
    const staff = await createStaff(t.app, admin, 'user');
    const patch = await admin.inject({
      method: 'PATCH',
      url: `/api/v1/users/${staff.id}`,
      payload: { name: 'Renamed', roleKey: 'admin' },
    });
    expect(patch.statusCode).toBe(400);
    expect((await admin.inject({ method: 'GET', url: `/api/v1/users/${staff.id}` })).json().role.key).toBe('user');
    const dup = await admin.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: staff.email, name: 'Again', roleKey: 'user' },
    });
    expect(dup.statusCode).toBe(422);
    expect(dup.json().errors[0]).toEqual({ path: 'email', message: 'Another user already has this email address.' });
    const after = await countAuditEvents(t.app.services.database.db);
    // Only createStaff's own events (create, login, password change).
    expect(after - before).toBe(3);
  });

  it('does not let anyone assign a role that gives more than they hold', async () => {
    const sup = await createStaff(t.app, admin, 'superuser');
    for (const permission of ['users.add', 'users.edit']) {
      const g = await admin.inject({
        method: 'PUT',
        url: `/api/v1/users/${sup.id}/permissions/${permission}`,
        payload: { effect: 'grant', reason: 'hiring season' },
      });
      expect(g.statusCode).toBe(200);
    }
    const toAdmin = await sup.session.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'boss@example.com', name: 'Boss', roleKey: 'admin' },
    });
    expect(toAdmin.statusCode).toBe(403);
    expect(typeOf(toAdmin)).toBe('not-held');
    expect(toAdmin.json().detail).toMatch(/You cannot assign this role/);
    const toUser = await sup.session.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'clerk@example.com', name: 'Clerk', roleKey: 'user' },
    });
    expect(toUser.statusCode).toBe(201);
    // Nor grant what they lack: backup.restore.
    const grant = await sup.session.inject({
      method: 'PUT',
      url: `/api/v1/users/${toUser.json().user.id}/permissions/backup.restore`,
      payload: { effect: 'grant', reason: 'please' },
    });
    expect(grant.statusCode).toBe(403);
  });

  it('keeps one active user who holds the whole administrative set', async () => {
    const deny = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/permissions/users.manage_permissions`,
      payload: { effect: 'deny', reason: 'testing the guard rail' },
    });
    expect(deny.statusCode).toBe(409);
    expect(deny.json().detail).toMatch(/no active user who can run the accounts/);
    const demote = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/role`,
      payload: { roleKey: 'user' },
    });
    expect(demote.statusCode).toBe(409);
    const self = await admin.inject({ method: 'POST', url: `/api/v1/users/${adminId}/deactivate`, payload: {} });
    expect(self.statusCode).toBe(403);
    // With a second admin, the first may be demoted.
    const second = await createStaff(t.app, admin, 'admin', 'Second Admin');
    const last = await second.session.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/role`,
      payload: { roleKey: 'superuser', reason: 'stepping back' },
    });
    expect(last.statusCode).toBe(200);
    const back = await second.session.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/role`,
      payload: { roleKey: 'admin', reason: 'back again' },
    });
    expect(back.statusCode).toBe(200);
    // The last one cannot deactivate the other when that would leave nobody.
    const deact = await admin.inject({ method: 'POST', url: `/api/v1/users/${second.id}/deactivate`, payload: {} });
    expect(deact.statusCode).toBe(200);
  });

  it('throws a deactivated user out at once: session and API key', async () => {
    const sup = await createStaff(t.app, admin, 'superuser');
    await setOverride(admin, sup.id, 'security.api_keys', { effect: 'grant', reason: 'integration' });
    const bearer = { authorization: `Bearer ${(await createApiKey(sup.session, ['users.view'])).key}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(200);
    const res = await admin.inject({
      method: 'POST',
      url: `/api/v1/users/${sup.id}/deactivate`,
      payload: { reason: 'left the lab' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().active).toBe(false);
    expect((await sup.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(401);
    await expect(login(t.app, sup.email, STAFF_PASSWORD)).rejects.toThrow(/401/);
    // Reactivated: can sign in again; nothing was erased.
    expect(
      (await admin.inject({ method: 'POST', url: `/api/v1/users/${sup.id}/reactivate`, payload: {} })).statusCode,
    ).toBe(200);
    await login(t.app, sup.email, STAFF_PASSWORD);
  });

  it('resets a password: temporary, sessions ended, lock cleared', async () => {
    const u = await createStaff(t.app, admin, 'user');
    const res = await admin.inject({ method: 'POST', url: `/api/v1/users/${u.id}/reset-password`, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.mustChangePassword).toBe(true);
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    await expect(login(t.app, u.email, STAFF_PASSWORD)).rejects.toThrow(/401/);
    await login(t.app, u.email, res.json().temporaryPassword);
  });

  it('lists and ends a user’s own sessions, and lets an admin end them all', async () => {
    const u = await createStaff(t.app, admin, 'user');
    const second = await login(t.app, u.email, STAFF_PASSWORD);
    const list = await u.session.inject({ method: 'GET', url: '/api/v1/auth/sessions' });
    expect(list.json().items).toHaveLength(2);
    const other = list.json().items.find((s: { current: boolean }) => !s.current);
    expect(other.id).not.toMatch(/^[0-9a-f]{64}$/); // a handle, never the token hash
    const end = await u.session.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other.id}` });
    expect(end.statusCode).toBe(200);
    expect((await second.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    const all = await admin.inject({ method: 'DELETE', url: `/api/v1/users/${u.id}/sessions` });
    expect(all.json()).toEqual({ ended: 1 });
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it("refuses to list or end its holder's sessions with an API key (403): a narrow key neither sees their addresses nor signs them out", async () => {
    const u = await createStaff(t.app, admin, 'user');
    await setOverride(admin, u.id, 'security.api_keys', { effect: 'grant', scope: 'own' });
    const { key } = await createApiKey(u.session, ['inventory.view']);
    const bearer = { authorization: `Bearer ${key}` };
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer });
    expect(list.statusCode).toBe(403);
    expect(list.json().detail).toMatch(/signed-in session/);
    const mine = await u.session.inject({ method: 'GET', url: '/api/v1/auth/sessions' });
    const handle = mine.json().items[0].id as string;
    const end = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${handle}`, headers: bearer });
    expect(end.statusCode).toBe(403);
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });

  it('throttles sign-in failures per address as well as per account', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9' };
    const local = await createTestApp(engine, { config: { trustProxy: true } });
    try {
      await setupBusiness(local.app, 'stores');
      let last = 0;
      for (let i = 0; i < 51; i++) {
        const res = await local.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers,
          payload: { email: `nobody${i}@example.com`, password: 'Wrong-Passw0rd' },
        });
        last = res.statusCode;
        if (i < 50) expect(res.statusCode).toBe(401);
      }
      expect(last).toBe(429);
      const other = await local.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': '203.0.113.10' },
        payload: { email: 'nobody@example.com', password: 'Wrong-Passw0rd' },
      });
      expect(other.statusCode).toBe(401);
    } finally {
      await local.close();
    }
  });
});

describe.each(ENGINES)('permissions and roles on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  beforeAll(async () => {
    ({ t, admin, adminId } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it('applies a grant and a deny on the user’s very next request, without signing in again', async () => {
    const u = await createStaff(t.app, admin, 'user');
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    const g = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/users.view`,
      payload: { effect: 'grant', reason: 'covers the front desk' },
    });
    expect(g.statusCode).toBe(200);
    expect(g.json()).toMatchObject({ status: 'applied', item: { state: 'grant', access: 'all' } });
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    const why = await admin.inject({ method: 'GET', url: `/api/v1/users/${u.id}/permissions/users.view/explain` });
    expect(why.json().summary).toMatch(/^Granted explicitly by Ada Admin on 2026-11-23: covers the front desk/);
    const d = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/inventory.view`,
      payload: { effect: 'deny', reason: 'left the lab' },
    });
    expect(d.json().item.state).toBe('deny');
    const me = await u.session.inject({ method: 'GET', url: '/api/v1/me' });
    expect(me.json().permissions.find((p: { permission: string }) => p.permission === 'inventory.view')).toEqual({
      permission: 'inventory.view',
      state: 'deny',
      access: 'none',
    });
    const inherit = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/inventory.view`,
      payload: { effect: 'inherit', reason: 'back' },
    });
    expect(inherit.json().item).toMatchObject({ state: 'inherited', role: { key: 'user' } });
  });

  it('shows every catalog permission with its state and provenance', async () => {
    const sup = await createStaff(t.app, admin, 'superuser');
    const res = await admin.inject({ method: 'GET', url: `/api/v1/users/${sup.id}/permissions` });
    const items = res.json().items as {
      permission: string;
      state: string;
      role: { via: string[] } | null;
      summary: string;
      risk: string;
    }[];
    const by = (p: string) => items.find((i) => i.permission === p);
    expect(by('inventory.view')).toMatchObject({
      state: 'inherited',
      role: { key: 'user', via: ['superuser', 'user'] },
    });
    expect(by('inventory.view')?.summary).toBe('Granted by role Superuser (inherited from User).');
    expect(by('backup.restore')).toMatchObject({ state: 'none', risk: 'critical' });
  });

  it('ends a grant at its expiry and refuses an end date in the past', async () => {
    const u = await createStaff(t.app, admin, 'user');
    const past = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/users.view`,
      payload: { effect: 'grant', reason: 'cover', expiresAt: new Date(t.clock.now - MIN).toISOString() },
    });
    expect(past.statusCode).toBe(422);
    await setOverride(admin, u.id, 'users.view', {
      effect: 'grant',
      reason: 'cover',
      expiresAt: new Date(t.clock.now + 30 * MIN).toISOString(),
    });
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    t.clock.advance(31 * MIN);
    expect((await u.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    const why = await admin.inject({ method: 'GET', url: `/api/v1/users/${u.id}/permissions/users.view/explain` });
    expect(why.json().reasons.join(' ')).toMatch(/Grant expired on/);
    // Re-login for the admin after the clock moved past the idle window is not needed: 31 min < 60.
  });

  it('grants to many users in one transaction with one audit event each', async () => {
    const a = await createStaff(t.app, admin, 'user');
    const b = await createStaff(t.app, admin, 'user');
    const since = await countAuditEvents(t.app.services.database.db);
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/permissions/bulk',
      payload: { userIds: [a.id, b.id], permission: 'reports.export', effect: 'grant', reason: 'month end' },
    });
    expect(res.json()).toEqual({ applied: 2, unchanged: 0, pendingApproval: 0, dependents: [], alsoDenied: 0 });
    expect(await auditActions(t, since)).toEqual(['permissions.change', 'permissions.change']);
    // One unknown user: nothing is written.
    const bad = await admin.inject({
      method: 'POST',
      url: '/api/v1/permissions/bulk',
      payload: { userIds: [a.id, 'missing'], permission: 'reports.generate', effect: 'grant', reason: 'x y z' },
    });
    expect(bad.statusCode).toBe(404);
    const view = await admin.inject({ method: 'GET', url: `/api/v1/users/${a.id}/permissions` });
    expect(view.json().items.find((i: { permission: string }) => i.permission === 'reports.generate').state).toBe(
      'none',
    );
  });

  it('holds a critical grant for a second admin when the setting asks for it', async () => {
    // The second admin comes first: with the setting on, a role that gives critical permissions
    // can no longer be assigned (hardening-reach.test.ts).
    const second = await createStaff(t.app, admin, 'admin', 'Second Admin');
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    const saved = await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, criticalGrantsNeedApproval: true },
    });
    expect(saved.statusCode).toBe(200);
    const u = await createStaff(t.app, admin, 'superuser');
    const req = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/backup.restore`,
      payload: { effect: 'grant', reason: 'runs the restore drill' },
    });
    expect(req.statusCode).toBe(202);
    expect(req.json()).toMatchObject({ status: 'pending-approval', item: { state: 'none' } });
    const id = req.json().requestId;
    const own = await admin.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
    expect(own.statusCode).toBe(403);
    const ok = await second.session.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
    expect(ok.statusCode).toBe(200);
    const view = await admin.inject({ method: 'GET', url: `/api/v1/users/${u.id}/permissions` });
    expect(view.json().items.find((i: { permission: string }) => i.permission === 'backup.restore').state).toBe(
      'grant',
    );
    const again = await second.session.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
    expect(again.statusCode).toBe(409);
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/security', payload: settings });
  });

  it('refuses a critical grant approved by the admin it is made out to; another admin may approve it', async () => {
    const grantee = await createStaff(t.app, admin, 'admin', 'Grantee Admin');
    const third = await createStaff(t.app, admin, 'admin', 'Third Admin');
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, criticalGrantsNeedApproval: true },
    });
    const req = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${grantee.id}/permissions/backup.restore`,
      payload: { effect: 'grant', reason: 'lasting restore rights' },
    });
    expect(req.statusCode).toBe(202);
    const id = req.json().requestId;
    const self = await grantee.session.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
    expect(self.statusCode).toBe(403);
    const before = await admin.inject({ method: 'GET', url: `/api/v1/users/${grantee.id}/permissions` });
    expect(before.json().items.find((i: { permission: string }) => i.permission === 'backup.restore').state).toBe(
      'inherited',
    );
    const ok = await third.session.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
    expect(ok.statusCode).toBe(200);
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/security', payload: settings });
  });

  it('creates, edits and refuses broken roles; a role edit applies at once', async () => {
    const created = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'lab-lead', name: 'Lab lead', inherits: ['user'], entries: { 'users.view': 'allow' } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ inherits: ['user'], builtin: false, entries: { 'users.view': 'allow' } });
    const lead = await createStaff(t.app, admin, 'lab-lead');
    expect((await lead.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    const cycle = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/user',
      payload: { name: 'User', inherits: ['lab-lead'], entries: { 'inventory.view': 'allow' } },
    });
    expect(cycle.statusCode).toBe(422);
    expect(cycle.json().detail).toMatch(/Roles cannot inherit in a circle/);
    const locked = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/admin',
      payload: { name: 'Admin', entries: {} },
    });
    expect(locked.statusCode).toBe(409);
    const edited = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/lab-lead',
      payload: { name: 'Lab lead', inherits: ['user'], entries: {} },
    });
    expect(edited.statusCode).toBe(200);
    expect((await lead.session.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    const inUse = await admin.inject({ method: 'DELETE', url: '/api/v1/roles/lab-lead' });
    expect(inUse.statusCode).toBe(409);
    void adminId;
  });
});

describe.each(ENGINES)('master code and API keys on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let assistant: { id: string; email: string; session: Session };
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'studio'));
    // No studio route needs the master code yet (agenda, clients, sales come later): give the
    // Assistant role one elevated entry on a route that exists, as an admin would in the role editor.
    const roles = (await admin.inject({ method: 'GET', url: '/api/v1/roles' })).json().items;
    const role = roles.find((r: { key: string }) => r.key === 'assistant');
    const res = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/assistant',
      payload: {
        name: role.name,
        description: role.description,
        inherits: [],
        entries: { ...role.entries, 'users.view': 'elevated' },
      },
    });
    expect(res.statusCode).toBe(200);
    assistant = await createStaff(t.app, admin, 'assistant');
  });
  afterAll(async () => t.close());

  async function rotate(): Promise<string> {
    const res = await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' });
    expect(res.statusCode).toBe(200);
    return res.json().code;
  }

  it('elevates one session for five minutes under a new session id, bounded by the clock and logout', async () => {
    const none = await assistant.session.inject({
      method: 'POST',
      url: '/api/v1/auth/elevate',
      payload: { code: '12345678' },
    });
    expect(none.statusCode).toBe(409);
    const code = await rotate();
    expect(code).toMatch(/^\d{8}$/);
    const stored = await t.app.services.database.db.selectFrom('master_codes').select('code_hash').execute();
    expect(stored.every((r) => r.code_hash.startsWith('$2') && !r.code_hash.includes(code))).toBe(true);

    const before = await assistant.session.inject({ method: 'GET', url: '/api/v1/users' });
    expect(before.statusCode).toBe(403);
    expect(before.json().type).toMatch(/elevation-required$/);

    const session = await login(t.app, assistant.email, STAFF_PASSWORD);
    const res = await session.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
    expect(res.statusCode).toBe(200);
    const elevated = sessionFrom(t.app, res);
    expect(elevated.cookie).not.toBe(session.cookie);
    expect((await session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect(res.json().elevatedUntil).toBe(new Date(t.clock.now + 5 * MIN).toISOString());
    expect((await elevated.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    // Audited as the assistant, elevated.
    const ev = await t.app.services.database.db
      .selectFrom('audit_events')
      .select(['actor_user_id', 'elevated', 'outcome'])
      .where('action', '=', 'auth.elevate')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(ev).toEqual({ actor_user_id: assistant.id, elevated: 1, outcome: 'success' });

    t.clock.advance(4 * MIN + 59_000);
    expect((await elevated.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    t.clock.advance(2_000);
    const expired = await elevated.inject({ method: 'GET', url: '/api/v1/users' });
    expect(expired.statusCode).toBe(403);
    expect(expired.json().type).toMatch(/elevation-required$/);

    // Ended early by DELETE, and by logout.
    const again = sessionFrom(
      t.app,
      await elevated.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } }),
    );
    expect((await again.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    await again.inject({ method: 'DELETE', url: '/api/v1/auth/elevate' });
    expect((await again.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    const third = sessionFrom(
      t.app,
      await again.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } }),
    );
    await third.inject({ method: 'POST', url: '/api/v1/auth/logout' });
    expect((await third.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });

  it('throttles wrong codes per address, across the users behind it', async () => {
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    // Keep the code itself alive for this test: only the address limit (10) is under test.
    await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, masterCodeMaxFailures: 100 },
    });
    const code = await rotate();
    const wrong = code === '00000000' ? '11111111' : '00000000';
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createStaff(t.app, admin, 'assistant')));
    const from = (who: { session: Session }, payload: { code: string }) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/elevate',
        headers: { cookie: who.session.cookie, 'x-csrf-token': who.session.csrfToken },
        remoteAddress: '192.0.2.50',
        payload,
      });
    for (const who of [a, b] as { session: Session }[]) {
      for (let i = 0; i < 5; i++) expect((await from(who, { code: wrong })).statusCode).toBe(422);
    }
    // A third assistant behind the same address, with the right code, waits too.
    const blocked = await from(c as { session: Session }, { code });
    expect(blocked.statusCode).toBe(429);
    // From another address the right code still works.
    const other = await (c as { session: Session }).session.inject({
      method: 'POST',
      url: '/api/v1/auth/elevate',
      payload: { code },
    });
    expect(other.statusCode).toBe(200);
    await admin.inject({ method: 'PUT', url: '/api/v1/settings/security', payload: settings });
  });

  it('throttles wrong codes per user, and disables the code after 10 failures across everyone', async () => {
    const code = await rotate();
    const wrong = code === '00000000' ? '11111111' : '00000000';
    const s = await login(t.app, assistant.email, STAFF_PASSWORD);
    for (let i = 0; i < 5; i++) {
      const r = await s.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code: wrong } });
      expect(r.statusCode).toBe(422);
      expect(r.json().errors[0]).toEqual({ path: 'code', message: 'The master code is not correct.' });
    }
    const throttled = await s.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBeDefined();

    // Other assistants keep guessing from other addresses: the code itself gives out at 10.
    const others = await Promise.all([1, 2].map(() => createStaff(t.app, admin, 'assistant')));
    let n = 5;
    for (const [i, o] of others.entries()) {
      for (let k = 0; k < 5 && n < 10; k++, n++) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/elevate',
          headers: { cookie: o.session.cookie, 'x-csrf-token': o.session.csrfToken },
          remoteAddress: `198.51.100.${i + 1}`,
          payload: { code: wrong },
        });
        expect(r.statusCode).toBe(n === 9 ? 403 : 422);
      }
    }
    const o = others[1] as { session: Session };
    const disabled = await o.session.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
    expect(disabled.statusCode).toBe(403);
    expect(disabled.json().type).toMatch(/master-code-disabled$/);
    const status = (await admin.inject({ method: 'GET', url: '/api/v1/security/master-code' })).json();
    expect(status.disabledAt).not.toBeNull();
    expect(status.problem).toMatch(/Disabled .* after 10 wrong entries/);
    const fresh = await rotate();
    const ok = await o.session.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code: fresh } });
    expect(ok.statusCode).toBe(200);
  });

  it('issues API keys shown once, stored hashed, scoped, never elevated, refused in the address, revocable', async () => {
    const { key, apiKey } = await createApiKey(admin, ['users.view'], { name: 'Accounting export' });
    expect(key).toMatch(API_KEY_PATTERN);
    const row = await t.app.services.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key);

    const bearer = { authorization: `Bearer ${key}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(200);
    const outside = await t.app.inject({ method: 'GET', url: '/api/v1/roles', headers: { ...bearer } });
    expect(outside.statusCode).toBe(200); // roles need users.view too
    const notInKey = await t.app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: bearer });
    expect(notInKey.statusCode).toBe(403);
    const inQuery = await t.app.inject({ method: 'GET', url: `/api/v1/users?api_key=${key}` });
    expect(inQuery.statusCode).toBe(400);
    expect(inQuery.json().type).toMatch(/credentials-in-url$/);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer });
    expect(me.json()).toMatchObject({ apiKey: { name: 'Accounting export' }, elevatedUntil: null, csrfToken: null });
    // Mutations with a key need no CSRF header (there is no cookie to ride on).
    const list = await admin.inject({ method: 'GET', url: '/api/v1/api-keys' });
    expect(list.json().items[0]).toMatchObject({ name: 'Accounting export', status: 'active' });
    expect(list.json().items[0].lastUsedAt).not.toBeNull();

    // Never elevated: a key cannot carry what needs the master code, and cannot elevate.
    await setOverride(admin, assistant.id, 'security.api_keys', { effect: 'grant', reason: 'sync job' });
    const elevatedPerm = await assistant.session.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'x', permissions: ['users.view'] },
    });
    expect(elevatedPerm.statusCode).toBe(422);
    const own = await assistant.session.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'sync', permissions: ['security.api_keys'] },
    });
    expect(own.statusCode).toBe(201);
    const code = await rotate();
    const elev = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/elevate',
      headers: { authorization: `Bearer ${own.json().key}` },
      payload: { code },
    });
    expect(elev.statusCode).toBe(403);

    const revoked = await admin.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}` });
    expect(revoked.json().status).toBe('revoked');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(401);
    const malformed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer nope' },
    });
    expect(malformed.statusCode).toBe(401);
  });
});

describe.each(ENGINES)('two server instances on one %s database', (engine) => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    t = await createTestApp(engine);
    other = await buildApp(t.config, { database: openDatabase(t.config.database), migrate: false });
    await other.ready();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('applies a role edit, a revoke and a deactivation made on one instance to the next request on the other', async () => {
    const a = await setupBusiness(t.app, 'stores');
    const admin = await login(t.app, a.email, ADMIN_PASSWORD);
    await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'desk', name: 'Desk', inherits: ['user'], entries: { 'users.view': 'allow' } },
    });
    const staff = await createStaff(t.app, admin, 'desk');
    // The same cookie, sent to the other instance.
    const onB = (url: string) => other.inject({ method: 'GET', url, headers: { cookie: staff.session.cookie } });
    expect((await onB('/api/v1/users')).statusCode).toBe(200);

    await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/desk',
      payload: { name: 'Desk', inherits: ['user'], entries: {} },
    });
    expect((await onB('/api/v1/users')).statusCode).toBe(403);

    await setOverride(admin, staff.id, 'users.view', { effect: 'grant', reason: 'covering' });
    expect((await onB('/api/v1/users')).statusCode).toBe(200);
    await setOverride(admin, staff.id, 'users.view', { effect: 'deny', reason: 'cover ended' });
    expect((await onB('/api/v1/users')).statusCode).toBe(403);

    await admin.inject({ method: 'POST', url: `/api/v1/users/${staff.id}/deactivate`, payload: {} });
    expect((await onB('/api/v1/me')).statusCode).toBe(401);
  });
});
