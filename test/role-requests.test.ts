/**
 * Role changes wait for a second admin (issue 19, M3's follow-up). With "critical grants need a
 * second admin" on, making someone Admin used to be refused (403 second-admin-required) on every
 * path: a dead end. Now a role created or edited, or a role given to a user, that adds a critical
 * permission becomes a request another admin approves — re-checked then, applied atomically, and
 * audited — and twenty parallel approvals apply it once. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, post, sessionHeaders } from './net.ts';

type RoleRequest = {
  id: string;
  kind: string;
  role: { key: string; name: string };
  user: { id: string; name: string } | null;
  from: string | null;
  critical: { permission: string; label: string }[];
  status: string;
};

describe.each(ENGINES)('role requests on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let second: { id: string; session: Session };
  let third: { id: string; session: Session };
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
    second = await createStaff(t.app, admin, 'admin', 'Second Admin');
    third = await createStaff(t.app, admin, 'admin', 'Third Admin');
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    const saved = await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, criticalGrantsNeedApproval: true },
    });
    expect(saved.statusCode).toBe(200);
  });
  afterAll(async () => t.close());

  const roleOf = async (id: string) =>
    (
      await t.app.services.database.db
        .selectFrom('users')
        .select('role_key')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).role_key;
  const requests = async (status = 'pending'): Promise<RoleRequest[]> =>
    (await admin.inject({ method: 'GET', url: `/api/v1/role-requests?status=${status}` })).json().items;
  const actions = async (requestId: string) =>
    (
      await t.app.services.database.db
        .selectFrom('audit_events')
        .select(['action', 'after'])
        .where('action', 'like', 'roles.%')
        .execute()
    )
      .filter((e) => e.after?.includes(requestId))
      .map((e) => e.action)
      .sort();
  const decide = (s: Session, id: string, verb: 'approve' | 'reject') =>
    s.inject({ method: 'POST', url: `/api/v1/role-requests/${id}/${verb}` });

  it('making someone Admin waits for another admin, who applies it; the requester cannot approve it', async () => {
    const sup = await createStaff(t.app, admin, 'superuser', 'Sam Super');
    const promote = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${sup.id}/role`,
      payload: { roleKey: 'admin', reason: 'new co-owner' },
    });
    expect(promote.statusCode).toBe(202);
    const pending = promote.json();
    expect(pending.status).toBe('pending-approval');
    expect(pending.detail).toMatch(/Giving Sam Super the role “Admin” gives .*“Restore backups”.* critical/);
    expect(await roleOf(sup.id)).toBe('superuser');
    const listed = (await requests()).find((r) => r.id === pending.requestId);
    expect(listed).toMatchObject({
      kind: 'assign',
      role: { key: 'admin', name: 'Admin' },
      user: { id: sup.id, name: 'Sam Super' },
      from: 'superuser',
    });
    expect(listed?.critical.map((c) => c.label)).toContain('Deactivate users');

    const own = await decide(admin, pending.requestId, 'approve');
    expect(own.statusCode).toBe(403);
    expect(own.json().detail).toMatch(/you asked for it yourself/);
    const bySelf = await decide(sup.session, pending.requestId, 'approve');
    expect(bySelf.statusCode).toBe(403); // a Superuser cannot manage permissions at all
    expect(await roleOf(sup.id)).toBe('superuser');

    const ok = await decide(second.session, pending.requestId, 'approve');
    expect(ok.statusCode).toBe(200);
    expect(await roleOf(sup.id)).toBe('admin');
    expect(await actions(pending.requestId)).toEqual(['roles.change_requested', 'roles.request_approved']);
    const assigned = await t.app.services.database.db
      .selectFrom('audit_events')
      .select(['actor_user_id', 'after'])
      .where('action', '=', 'roles.assigned')
      .where('target_id', '=', sup.id)
      .execute();
    expect(assigned).toHaveLength(1);
    expect(assigned[0]?.actor_user_id).toBe(second.id);
    const again = await decide(third.session, pending.requestId, 'approve');
    expect(again.statusCode).toBe(409);
  });

  it('a new account cannot wait: creating one as Admin is refused, pointing to the way that works', async () => {
    const hire = await admin.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'boss@example.com', name: 'Boss', roleKey: 'admin' },
    });
    expect(hire.statusCode).toBe(403);
    expect(hire.json().detail).toMatch(/then change its role: a second admin approves that change/);
  });

  it('a role created or edited with a critical permission waits; rejected, nothing changes', async () => {
    const made = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: {
        key: 'restorer',
        name: 'Restorer',
        inherits: ['user'],
        entries: { 'backup.view': 'allow', 'backup.restore': 'allow' },
      },
    });
    expect(made.statusCode).toBe(202);
    expect(made.json().detail).toMatch(/The new role “Restorer” gives “Restore backups”/);
    const roles = async () =>
      (await admin.inject({ method: 'GET', url: '/api/v1/roles' })).json().items as {
        key: string;
        entries: Record<string, string>;
        name: string;
        inherits: string[];
      }[];
    expect((await roles()).some((r) => r.key === 'restorer')).toBe(false);
    const approved = await decide(third.session, made.json().requestId, 'approve');
    expect(approved.statusCode).toBe(200);
    expect((await roles()).find((r) => r.key === 'restorer')?.entries).toEqual({
      'backup.view': 'allow',
      'backup.restore': 'allow',
    });
    expect(await actions(made.json().requestId)).toEqual(['roles.change_requested', 'roles.request_approved']);

    const current = (await roles()).find((r) => r.key === 'superuser');
    const edit = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/superuser',
      payload: {
        name: current?.name,
        inherits: current?.inherits,
        entries: { ...current?.entries, 'users.delete': 'allow' },
      },
    });
    expect(edit.statusCode).toBe(202);
    const rejected = await decide(second.session, edit.json().requestId, 'reject');
    expect(rejected.statusCode).toBe(200);
    expect((await roles()).find((r) => r.key === 'superuser')?.entries['users.delete']).toBeUndefined();
    expect((await decide(third.session, edit.json().requestId, 'approve')).statusCode).toBe(409);
    expect(await actions(edit.json().requestId)).toEqual(['roles.change_requested', 'roles.request_rejected']);
    // Non-critical changes still apply at once.
    const fine = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'auditor', name: 'Auditor', inherits: ['user'], entries: { 'security.audit': 'allow' } },
    });
    expect(fine.statusCode).toBe(201);
  });

  it('re-checks at approval: a role changed meanwhile, or a requester who lost the rights, refuses it', async () => {
    const a = await createStaff(t.app, admin, 'superuser', 'Moved Meanwhile');
    const req = await admin.inject({ method: 'PUT', url: `/api/v1/users/${a.id}/role`, payload: { roleKey: 'admin' } });
    expect(req.statusCode).toBe(202);
    const moved = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${a.id}/role`,
      payload: { roleKey: 'user' },
    });
    expect(moved.statusCode).toBe(200);
    const stale = await decide(second.session, req.json().requestId, 'approve');
    expect(stale.statusCode).toBe(409);
    expect(stale.json().detail).toMatch(/role has changed since this was asked/);
    expect(await roleOf(a.id)).toBe('user');
    expect((await requests()).some((r) => r.id === req.json().requestId)).toBe(true);

    // The third admin asks, then is demoted by the second; the second's approval is refused.
    const b = await createStaff(t.app, admin, 'superuser', 'Never Promoted');
    const asked = await third.session.inject({
      method: 'PUT',
      url: `/api/v1/users/${b.id}/role`,
      payload: { roleKey: 'admin' },
    });
    expect(asked.statusCode).toBe(202);
    const demote = await second.session.inject({
      method: 'PUT',
      url: `/api/v1/users/${third.id}/role`,
      payload: { roleKey: 'superuser' },
    });
    expect(demote.statusCode).toBe(200);
    const refused = await decide(second.session, asked.json().requestId, 'approve');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('urn:steward:problem:not-held');
    expect(await roleOf(b.id)).toBe('superuser');
    // Rejecting is always possible.
    expect((await decide(second.session, asked.json().requestId, 'reject')).statusCode).toBe(200);
    expect((await decide(second.session, req.json().requestId, 'reject')).statusCode).toBe(200);
  });

  it('twenty parallel approvals (real HTTP, two admins) apply the role change once', async () => {
    const fourth = await createStaff(t.app, admin, 'superuser', 'Fourth');
    const up = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${fourth.id}/role`,
      payload: { roleKey: 'admin' },
    });
    const upId = up.json().requestId;
    expect((await decide(second.session, upId, 'approve')).statusCode).toBe(200);
    const target = await createStaff(t.app, admin, 'user', 'Raced Promotion');
    const req = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${target.id}/role`,
      payload: { roleKey: 'admin' },
    });
    expect(req.statusCode).toBe(202);
    const id = req.json().requestId;
    const approvers = [second.session, fourth.session];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(base, `/api/v1/role-requests/${id}/approve`, {}, sessionHeaders(approvers[i % 2] as Session)).then(
          (r) => r.status,
        ),
      ),
    );
    expect(answers.filter((s) => s === 200)).toHaveLength(1);
    expect(answers.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
    expect(await roleOf(target.id)).toBe('admin');
    expect(await actions(id)).toEqual(['roles.change_requested', 'roles.request_approved']);
    const assigned = await t.app.services.database.db
      .selectFrom('audit_events')
      .select('seq')
      .where('action', '=', 'roles.assigned')
      .where('target_id', '=', target.id)
      .execute();
    expect(assigned).toHaveLength(1);
  });
});
