/**
 * Prerequisites (issue 19: "granting a permission that depends on one the user is denied — export
 * without view — is refused or warned"). The rule lives once in src/shared/permissions/requires.ts.
 * A grant or role entry that opens a gap is refused (422, labels); a deny of view is applied —
 * taking access away is never blocked — and names what it leaves without effect, or denies those
 * too; the engine never lets export act without view. On every engine, and under parallel HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOverride } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type Item = { permission: string; access: string; state: string; summary: string };

describe.each(ENGINES)('permission prerequisites on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
    const blank = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'blank', name: 'Blank', entries: {} },
    });
    expect(blank.statusCode).toBe(201);
  });
  afterAll(async () => t.close());

  const overridesOf = (userId: string) =>
    t.app.services.database.db
      .selectFrom('user_overrides')
      .select(['permission', 'effect'])
      .where('user_id', '=', userId)
      .orderBy('permission')
      .execute();
  const item = async (userId: string, permission: string): Promise<Item> =>
    (await admin.inject({ method: 'GET', url: `/api/v1/users/${userId}/permissions` }))
      .json()
      .items.find((i: Item) => i.permission === permission);
  const put = (userId: string, permission: string, payload: Record<string, unknown>, as = admin) =>
    as.inject({
      method: 'PUT',
      url: `/api/v1/users/${userId}/permissions/${permission}`,
      payload: { reason: 'prerequisite test', ...payload },
    });

  it('refuses granting export to someone denied view, naming both by label; nothing is written', async () => {
    const u = await createStaff(t.app, admin, 'user', 'Denied Viewer');
    await setOverride(admin, u.id, 'inventory.view', { effect: 'deny' });
    const r = await put(u.id, 'inventory.export', { effect: 'grant' });
    expect(r.statusCode).toBe(422);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json().type).toBe('urn:steward:problem:missing-prerequisite');
    expect(r.json().detail).toMatch(/“Export inventory” needs “View inventory”, which Denied Viewer would not hold/);
    expect(r.json().gaps).toEqual([{ permission: 'inventory.export', missing: 'inventory.view' }]);
    expect(await overridesOf(u.id)).toEqual([{ permission: 'inventory.view', effect: 'deny' }]);
    // With view granted back, the same grant passes.
    await put(u.id, 'inventory.view', { effect: 'inherit' });
    expect((await put(u.id, 'inventory.export', { effect: 'grant' })).statusCode).toBe(200);
  });

  it('refuses an export grant that outlasts the view grant it needs; one that ends first passes', async () => {
    const u = await createStaff(t.app, admin, 'blank', 'Short Viewer');
    await setOverride(admin, u.id, 'inventory.view', { effect: 'grant', expiresAt: '2027-01-01T00:00:00.000Z' });
    const forever = await put(u.id, 'inventory.export', { effect: 'grant' });
    expect(forever.statusCode).toBe(422);
    expect(forever.json().detail).toMatch(/once a time-limited grant ends/);
    const longer = await put(u.id, 'inventory.export', { effect: 'grant', expiresAt: '2027-02-01T00:00:00.000Z' });
    expect(longer.statusCode).toBe(422);
    const shorter = await put(u.id, 'inventory.export', { effect: 'grant', expiresAt: '2026-12-31T00:00:00.000Z' });
    expect(shorter.statusCode).toBe(200);
    expect((await item(u.id, 'inventory.export')).access).toBe('all');
  });

  it('applies a deny of view, says which permissions it leaves without effect, and the engine stops them', async () => {
    const u = await createStaff(t.app, admin, 'superuser', 'Viewless Manager');
    const before = await u.session.inject({ method: 'GET', url: '/api/v1/items/export?format=csv' });
    expect(before.statusCode).toBe(200);
    const r = await put(u.id, 'inventory.view', { effect: 'deny' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.dependents).toEqual(
      expect.arrayContaining(['inventory.add', 'inventory.edit', 'inventory.export', 'inventory.manage_stock']),
    );
    expect(body.dependents).not.toContain('inventory.delete'); // a Superuser never had it
    expect(body.alsoDenied).toEqual([]);
    expect(body.warning).toMatch(/Viewless Manager still has .*“Export inventory”.*which need “View inventory”/);
    expect(body.warning).toMatch(/Deny them too/);
    const after = await u.session.inject({ method: 'GET', url: '/api/v1/items/export?format=csv' });
    expect(after.statusCode).toBe(403);
    const exp = await item(u.id, 'inventory.export');
    expect(exp).toMatchObject({ state: 'inherited', access: 'none' });
    expect(exp.summary).toBe('Not in effect: “Export inventory” needs “View inventory”, which is not held.');
  });

  it('denies the dependents too when asked, in the same change, each audited', async () => {
    const u = await createStaff(t.app, admin, 'superuser', 'Fully Denied');
    const r = await put(u.id, 'categories.view', { effect: 'deny', alsoDenyDependents: true });
    expect(r.statusCode).toBe(200);
    expect(r.json().alsoDenied.sort()).toEqual(['categories.add', 'categories.edit']);
    expect(r.json().dependents).toEqual([]);
    expect(r.json().warning).toBeNull();
    expect(await overridesOf(u.id)).toEqual([
      { permission: 'categories.add', effect: 'deny' },
      { permission: 'categories.edit', effect: 'deny' },
      { permission: 'categories.view', effect: 'deny' },
    ]);
    const events = await t.app.services.database.db
      .selectFrom('audit_events')
      .select(['action', 'after'])
      .where('target_id', '=', u.id)
      .where('action', '=', 'permissions.change')
      .execute();
    expect(events).toHaveLength(3);
  });

  it('refuses a role that gives export without view, on create and on edit; own or locked view is enough', async () => {
    const bad = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'exporter', name: 'Exporter', entries: { 'inventory.export': 'allow' } },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().type).toBe('urn:steward:problem:missing-prerequisite');
    expect(bad.json().detail).toMatch(/In the role “Exporter”, “Export inventory” needs “View inventory”/);
    const roles = (await admin.inject({ method: 'GET', url: '/api/v1/roles' })).json().items;
    expect(roles.some((r: { key: string }) => r.key === 'exporter')).toBe(false);
    const ok = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: {
        key: 'own-exporter',
        name: 'Own exporter',
        entries: {
          'inventory.view': 'own',
          'inventory.export': 'allow',
          'sales.view': 'elevated',
          'sales.export': 'own',
        },
      },
    });
    expect(ok.statusCode).toBe(201);
    // Taking view out of the User role would leave Superuser (which inherits it) with export alone.
    const superuser = roles.find((r: { key: string }) => r.key === 'user');
    const { 'inventory.view': _gone, ...rest } = superuser.entries;
    const edit = await admin.inject({
      method: 'PUT',
      url: '/api/v1/roles/user',
      payload: { name: superuser.name, inherits: superuser.inherits, entries: rest },
    });
    expect(edit.statusCode).toBe(422);
    expect(edit.json().detail).toMatch(/In the role “Superuser”, .*“Export inventory”.* needs? “View inventory”/);
  });

  it('re-checks a waiting critical grant at approval: view denied meanwhile refuses it, still pending', async () => {
    const second = await createStaff(t.app, admin, 'admin', 'Approving Admin');
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, criticalGrantsNeedApproval: true },
    });
    try {
      const u = await createStaff(t.app, admin, 'superuser', 'Future Deactivator');
      const req = await put(u.id, 'users.delete', { effect: 'grant' });
      expect(req.statusCode).toBe(202);
      await setOverride(admin, u.id, 'users.view', { effect: 'deny' });
      const id = req.json().requestId;
      const approve = await second.session.inject({ method: 'POST', url: `/api/v1/permission-requests/${id}/approve` });
      expect(approve.statusCode).toBe(422);
      expect(approve.json().detail).toMatch(/“Deactivate users” needs “View users”/);
      const pending = (await admin.inject({ method: 'GET', url: '/api/v1/permission-requests' })).json().items;
      expect(pending.some((r: { id: string }) => r.id === id)).toBe(true);
    } finally {
      await admin.inject({ method: 'PUT', url: '/api/v1/settings/security', payload: settings });
    }
  });

  it('a deny of view racing a grant of export (real parallel HTTP) never leaves export in effect', async () => {
    const other = await createStaff(t.app, admin, 'admin', 'Racing Admin');
    for (let round = 0; round < 8; round++) {
      const u = await createStaff(t.app, admin, 'blank', `Raced ${round}`);
      await setOverride(admin, u.id, 'inventory.view', { effect: 'grant' });
      const url = (p: string) => `/api/v1/users/${u.id}/permissions/${p}`;
      const [deny, grant] = await Promise.all([
        send<{ dependents?: string[] }>(
          base,
          'PUT',
          url('inventory.view'),
          { effect: 'deny', reason: 'race' },
          sessionHeaders(admin),
        ),
        send<{ type?: string }>(
          base,
          'PUT',
          url('inventory.export'),
          { effect: 'grant', reason: 'race' },
          sessionHeaders(other.session),
        ),
      ]);
      expect(deny.status).toBe(200);
      if (grant.status === 200) {
        // The grant came first: the deny names export as left without effect.
        expect(deny.body.dependents).toContain('inventory.export');
      } else {
        expect(grant.status).toBe(422);
        expect(grant.body.type).toBe('urn:steward:problem:missing-prerequisite');
      }
      const exp = await u.session.inject({ method: 'GET', url: '/api/v1/items/export?format=csv' });
      expect(exp.statusCode).toBe(403);
      expect((await item(u.id, 'inventory.export')).access).toBe('none');
    }
  });
});
