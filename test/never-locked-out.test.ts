/**
 * No dead ends (issue 19, product.md guard rails): someone active always holds the whole
 * administrative set — view and edit users, manage permissions, open the permission settings —
 * without an end date, on every path and under parallel requests. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, sessionHeaders } from './net.ts';

describe.each(ENGINES)('never locked out on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  let base: string;

  beforeAll(async () => {
    ({ t, admin, adminId } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
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

  it('refuses the only Admin demoting themself, although a Superuser can still manage permissions', async () => {
    // The reported dead end: a Superuser holds users.manage_permissions but not users.edit nor
    // settings.permissions, so nobody could have undone the demotion.
    const manager = await createStaff(t.app, admin, 'superuser', 'Permissions Manager');
    const grant = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${manager.id}/permissions/users.manage_permissions`,
      payload: { effect: 'grant', reason: 'helps with access' },
    });
    expect(grant.statusCode).toBe(200);
    const demote = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/role`,
      payload: { roleKey: 'user' },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.headers['content-type']).toMatch(/problem\+json/);
    expect(demote.json().detail).toMatch(/no active user who can run the accounts/);
    expect(demote.json().detail).toMatch(/steward admin recover/);
    expect(await roleOf(adminId)).toBe('admin');
  });

  it('refuses denying the last administrator a permission of the set, and a grant with an end date does not count', async () => {
    const other = await createStaff(t.app, admin, 'superuser', 'Temporary Admin');
    // Every missing piece of the set, but only until tomorrow.
    for (const permission of ['users.edit', 'users.manage_permissions', 'settings.permissions', 'users.delete']) {
      const r = await admin.inject({
        method: 'PUT',
        url: `/api/v1/users/${other.id}/permissions/${permission}`,
        payload: { effect: 'grant', reason: 'covering', expiresAt: '2099-01-01T00:00:00.000Z' },
      });
      expect(r.statusCode).toBe(200);
    }
    // The admin denies themself a piece of the set: the other's time-limited grants don't count.
    const deny = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${adminId}/permissions/settings.permissions`,
      payload: { effect: 'deny', reason: 'try' },
    });
    expect(deny.statusCode).toBe(409);
    const overrides = await t.app.services.database.db
      .selectFrom('user_overrides')
      .select('permission')
      .where('user_id', '=', adminId)
      .execute();
    expect(overrides).toEqual([]);
  });

  it('lets exactly one of two admins step down when both try at the same moment', async () => {
    const second = await createStaff(t.app, admin, 'admin', 'Second Admin');
    const step = (s: Session, id: string) =>
      fetch(`${base}/api/v1/users/${id}/role`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...sessionHeaders(s) },
        body: JSON.stringify({ roleKey: 'superuser' }),
      }).then((r) => r.status);
    const answers = await Promise.all([step(admin, adminId), step(second.session, second.id)]);
    expect(answers.sort()).toEqual([200, 409]);
    const roles = [await roleOf(adminId), await roleOf(second.id)].sort();
    expect(roles).toEqual(['admin', 'superuser']);
  });
});
