/**
 * The route × principal matrix (reliability #2 and #26): every route of every module, called by
 * every kind of principal, against an oracle computed from the catalog, the role templates and
 * the resources' owners (test/matrix-harness.ts). The routes are found by iterating the app's
 * modules, so a new module's routes are covered without editing this file; the guard table is
 * kept in a snapshot so a change of any route's permission shows in review. Own grants and `own`
 * role entries are checked at the route (refused on resources without an owner) and against
 * owner and non-owner records on every path of an owned resource.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../src/server/http/scope.ts';
import { PERMISSION_KEYS } from '../src/shared/permissions/catalog.ts';
import { TEMPLATES } from '../src/shared/permissions/templates.ts';
import { createBusinessApp, createStaff, ENGINES, sessionFrom, type TestApp } from './harness.ts';
import {
  anonymous,
  guardTable,
  OWN_ROLE,
  OWNED_CALLS,
  outcomeOf,
  overrides,
  ownRoleStaff,
  type Principal,
  roleLevel,
  runMatrix,
  runOwnerChecks,
  sessionPrincipal,
  type Who,
  whoIs,
} from './matrix-harness.ts';

describe.each(ENGINES)('route × principal matrix on %s', (engine) => {
  describe('stores', () => {
    let t: TestApp;
    const principals: Principal[] = [anonymous];
    let ownPrincipals: (Principal & { self: () => Promise<Who> })[] = [];
    let adminPrincipal: Principal;
    let adminId: string;
    beforeAll(async () => {
      const business = await createBusinessApp(engine, 'stores');
      ({ t, adminId } = business);
      const admin = business.admin;
      const level = (role: string) => (p: string, r: string | null) =>
        outcomeOf(roleLevel('stores', role, p), false, r);
      for (const role of ['user', 'superuser', 'admin']) {
        const s = await createStaff(t.app, admin, role);
        principals.push(sessionPrincipal(t, role, s.session, level(role)));
      }
      // A User with every permission granted explicitly, and one with own-record grants only.
      const granted = await createStaff(t.app, admin, 'user');
      await overrides(t, granted.id, adminId, 'grant', 'any', () => true);
      principals.push(sessionPrincipal(t, 'user + grant(any) of all', granted.session, () => 'pass'));
      const own = await createStaff(t.app, admin, 'user');
      await overrides(t, own.id, adminId, 'grant', 'own', (p) => roleLevel('stores', 'user', p) === 'none');
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
      await overrides(t, denied.id, adminId, 'deny', 'any', () => true);
      principals.push(sessionPrincipal(t, 'admin + deny of all', denied.session, () => 'forbidden'));
      // An API key of the admin carrying every other permission.
      const carried: readonly string[] = PERMISSION_KEYS.filter((_, i) => i % 2 === 0);
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
      await runMatrix(t, principals, TEMPLATES.stores.modules);
    });

    it('covers every route of every module, with the guards reviewed in the snapshot', () => {
      expect(guardTable(t.app)).toMatchSnapshot();
    });

    it("declares owner columns that exist in their resource's table", async () => {
      const db = t.app.services.database.db;
      for (const [name, def] of Object.entries(resources())) {
        const column = def.owner === null ? sql`1` : sql.ref(`${def.table}.${def.owner}`);
        await expect(
          sql`select ${column} from ${sql.table(def.table)} where 1 = 0`.execute(db),
          name,
        ).resolves.toBeDefined();
      }
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
      const business = await createBusinessApp(engine, 'studio');
      t = business.t;
      const admin = business.admin;
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
      // The studio has no suppliers, categories or purchase orders: their routes answer module-off.
      await runMatrix(t, principals, TEMPLATES.studio.modules);
    });
  });
});
