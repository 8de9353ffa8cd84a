/**
 * H4 and reliability #26 — own scope fails closed. An `own` grant (per user) or `own` role entry
 * reaches only the holder's records on every path of an owned resource (users, audit events,
 * API keys); on a resource without an owner (items, settings, the audit chain as a whole) it is
 * refused. Routes name their resource, and one naming a resource the registry does not know
 * stops the app from starting.
 */
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../src/server/db/schema.ts';
import { inScope, OwnOnlyError, scopeFor, systemScope } from '../src/server/http/scope.ts';
import { getUser, listUsers } from '../src/server/modules/users/users.repository.ts';
import { createApiKey, createItem, setOverride } from './factories.ts';
import { createBusinessApp, createStaff, createTestApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type Item = { id: string; name: string; active: boolean };

/** Grants one permission on own records through the API, as an admin does on the permissions page. */
async function grantOwn(admin: Session, userId: string, permission: string): Promise<void> {
  const res = await setOverride(admin, userId, permission, {
    effect: 'grant',
    scope: 'own',
    reason: 'own records only',
  });
  expect(res.item.access).toBe('own');
}

describe.each(ENGINES)('own scope on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  let item: Item;
  /** A User with own-record grants of users.view, security.audit, inventory.edit and more. */
  let granted: { id: string; session: Session };
  /** A user of a custom role whose entries for the same permissions are `own`. */
  let roled: { id: string; session: Session };
  let others: { id: string; session: Session }[];

  beforeAll(async () => {
    ({ t, admin, adminId } = await createBusinessApp(engine, 'stores'));
    item = await createItem(admin, { sku: 'OWN-1', name: 'Gloves' });
    const ownPermissions = [
      'users.view',
      'users.edit',
      'users.reset_password',
      'security.audit',
      'security.api_keys',
      'inventory.edit',
      'inventory.bulk_edit',
      'settings.edit',
    ];
    granted = await createStaff(t.app, admin, 'user', 'Gina Granted');
    for (const p of ownPermissions) await grantOwn(admin, granted.id, p);
    const role = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: {
        key: 'own-clerk',
        name: 'Own clerk',
        inherits: ['user'],
        entries: Object.fromEntries(ownPermissions.map((p) => [p, 'own'])),
      },
    });
    expect(role.statusCode, role.body).toBe(201);
    roled = await createStaff(t.app, admin, 'own-clerk', 'Rolf Roled');
    others = [];
    for (const role of ['user', 'superuser', 'admin'])
      others.push(await createStaff(t.app, admin, role, `Other ${role}`));
    // Everyone has records of their own: an API key each.
    for (const o of others.slice(0, 2)) {
      const g = await admin.inject({
        method: 'PUT',
        url: `/api/v1/users/${o.id}/permissions/security.api_keys`,
        payload: { effect: 'grant', reason: 'keys of their own' },
      });
      expect(g.statusCode, g.body).toBe(200);
    }
    for (const who of [admin, granted.session, roled.session, ...others.map((o) => o.session)]) {
      await createApiKey(who, ['inventory.view'], { name: 'mine' });
    }
  });
  afterAll(async () => t.close());

  const holders = () => [
    { name: 'an own grant', ...granted },
    { name: 'an own role entry', ...roled },
  ];

  it('lists, finds and searches only the holder’s own account with users.view on own records', async () => {
    for (const h of holders()) {
      const list = await h.session.inject({ method: 'GET', url: '/api/v1/users?status=all' });
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((u: { id: string }) => u.id)).toEqual([h.id]);
      const search = await h.session.inject({ method: 'GET', url: '/api/v1/users?q=admin' });
      expect(search.json().items).toEqual([]);
      expect((await h.session.inject({ method: 'GET', url: `/api/v1/users/${h.id}` })).statusCode).toBe(200);
      for (const other of [adminId, ...others.map((o) => o.id)]) {
        const res = await h.session.inject({ method: 'GET', url: `/api/v1/users/${other}` });
        expect(res.statusCode, `${h.name}: ${res.body}`).toBe(404);
        // The same answer as for an id that does not exist: existence does not leak.
        expect(res.json().detail).toBe('There is no user with that id.');
      }
    }
  });

  it('edits, resets and lists sessions of no one else with users.edit / reset_password on own records', async () => {
    const victim = others[2] as { id: string };
    const before = await t.app.services.database.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    for (const h of holders()) {
      const calls = [
        { method: 'PATCH', url: `/api/v1/users/${victim.id}`, payload: { name: 'Hijacked' } },
        { method: 'POST', url: `/api/v1/users/${victim.id}/reset-password`, payload: {} },
        { method: 'GET', url: `/api/v1/users/${victim.id}/sessions` },
        { method: 'DELETE', url: `/api/v1/users/${victim.id}/sessions` },
      ] as const;
      for (const c of calls) {
        const res = await h.session.inject(c);
        expect(res.statusCode, `${h.name} ${c.method} ${c.url}`).toBe(404);
      }
      const mine = await h.session.inject({ method: 'PATCH', url: `/api/v1/users/${h.id}`, payload: { name: 'Me' } });
      expect(mine.statusCode).toBe(200);
    }
    const after = await t.app.services.database.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  it('shows only the holder’s own audit events with security.audit on own records', async () => {
    const all = await admin.inject({ method: 'GET', url: '/api/v1/audit?limit=200' });
    const actors = new Set(all.json().items.map((e: { actor: { userId: string } }) => e.actor.userId));
    expect(actors.size).toBeGreaterThan(2);
    for (const h of holders()) {
      const own = await h.session.inject({ method: 'GET', url: '/api/v1/audit?limit=200' });
      expect(own.statusCode).toBe(200);
      const items = own.json().items as { actor: { userId: string } }[];
      expect(items.length).toBeGreaterThan(0);
      expect(new Set(items.map((e) => e.actor.userId))).toEqual(new Set([h.id]));
      const theirs = await h.session.inject({ method: 'GET', url: `/api/v1/audit?user=${adminId}` });
      expect(theirs.json().items).toEqual([]);
      for (const format of ['json', 'csv'] as const) {
        const exported = await h.session.inject({ method: 'GET', url: `/api/v1/audit/export?format=${format}` });
        expect(exported.statusCode).toBe(200);
        if (format === 'json') {
          const rows = exported.json() as { actor: { userId: string } }[];
          expect(new Set(rows.map((e) => e.actor.userId))).toEqual(new Set([h.id]));
        } else {
          expect(exported.body).not.toContain(adminId);
          expect(exported.body).toContain(h.id);
        }
      }
      // Verifying the chain and signing its head read every event: refused, not narrowed.
      for (const c of [
        { method: 'GET', url: '/api/v1/audit/verify' },
        { method: 'POST', url: '/api/v1/audit/checkpoints' },
      ] as const) {
        const res = await h.session.inject(c);
        expect(res.statusCode, `${h.name} ${c.url}`).toBe(403);
        expect(res.json()).toMatchObject({
          type: 'urn:steward:problem:own-only',
          permission: 'security.audit',
          resource: 'audit_chain',
        });
      }
    }
  });

  it('lists and revokes only the holder’s own API keys with security.api_keys on own records', async () => {
    const adminKeys = (await admin.inject({ method: 'GET', url: '/api/v1/api-keys' })).json().items as {
      id: string;
      user: { id: string };
    }[];
    const foreign = adminKeys.filter((k) => k.user.id !== granted.id && k.user.id !== roled.id);
    expect(foreign.length).toBeGreaterThan(3);
    for (const h of holders()) {
      const list = await h.session.inject({ method: 'GET', url: '/api/v1/api-keys' });
      const keys = list.json().items as { id: string; user: { id: string } }[];
      expect(keys.length).toBe(1);
      expect(keys[0]?.user.id).toBe(h.id);
      for (const k of foreign) {
        const res = await h.session.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}` });
        expect(res.statusCode).toBe(404);
      }
    }
    const revoked = await t.app.services.database.db
      .selectFrom('api_keys')
      .select('id')
      .where('revoked_at', 'is not', null)
      .execute();
    expect(revoked).toEqual([]);
  });

  it('refuses own access on items and settings, which have no owner, and changes nothing', async () => {
    for (const h of holders()) {
      const calls = [
        { method: 'PATCH', url: `/api/v1/items/${item.id}`, payload: { name: 'Hijacked' }, resource: 'item' },
        {
          method: 'POST',
          url: '/api/v1/items/bulk-edit',
          payload: { itemIds: [item.id], set: { reorderLevel: 5 } },
          resource: 'item',
        },
        { method: 'PUT', url: '/api/v1/settings/inventory', payload: {}, resource: 'settings' },
      ] as const;
      for (const { resource, ...c } of calls) {
        const res = await h.session.inject(c);
        expect(res.statusCode, `${h.name} ${c.url}: ${res.body}`).toBe(403);
        expect(res.json()).toMatchObject({ type: 'urn:steward:problem:own-only', resource });
        expect(res.json().detail).toMatch(/only your own records; .* records have no owner/);
      }
    }
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json();
    expect(after.name).toBe('Gloves');
  });

  it('creates no account with users.add on own records (a new account is nobody’s own)', async () => {
    await grantOwn(admin, granted.id, 'users.add');
    const count = async () =>
      Number(
        (
          await t.app.services.database.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const res = await granted.session.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'sneaky@example.com', name: 'Sneaky', roleKey: 'user' },
    });
    expect(res.statusCode).toBe(403);
    expect(await count()).toBe(before);
  });

  it('keeps other people’s records out of reach under a burst of parallel own-scoped requests', async () => {
    const base = `${await listenLocal(t.app)}/api/v1`;
    const db = t.app.services.database.db;
    const snapshot = async () =>
      JSON.stringify({
        users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
        keys: await db.selectFrom('api_keys').select(['id', 'revoked_at']).orderBy('id').execute(),
        sessions: await db.selectFrom('sessions').select(['id', 'ended_at']).orderBy('id').execute(),
        item: await db.selectFrom('items').selectAll().where('id', '=', item.id).execute(),
      });
    const before = await snapshot();
    const foreignKeys = await db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', 'not in', [granted.id, roled.id])
      .execute();
    const targets = [adminId, ...others.map((o) => o.id)];
    type Probe = { method: string; path: string; body?: unknown; expect: 'not-found' | 'own-only' | 'own-list' };
    const probes: Probe[] = [];
    for (let round = 0; round < 4; round++) {
      for (const id of targets) {
        probes.push({ method: 'GET', path: `/users/${id}`, expect: 'not-found' });
        probes.push({ method: 'PATCH', path: `/users/${id}`, body: { name: 'Raced' }, expect: 'not-found' });
        probes.push({ method: 'POST', path: `/users/${id}/reset-password`, body: {}, expect: 'not-found' });
        probes.push({ method: 'DELETE', path: `/users/${id}/sessions`, expect: 'not-found' });
      }
      for (const k of foreignKeys) probes.push({ method: 'DELETE', path: `/api-keys/${k.id}`, expect: 'not-found' });
      probes.push({ method: 'GET', path: '/users?status=all', expect: 'own-list' });
      probes.push({ method: 'GET', path: '/audit?limit=200', expect: 'own-list' });
      probes.push({ method: 'PATCH', path: `/items/${item.id}`, body: { name: 'Raced' }, expect: 'own-only' });
    }
    const results = await Promise.all(
      holders().flatMap((h) =>
        probes.map(async (p) => {
          const { status, body } = await send<{ type?: string; items?: { id?: string; actor?: { userId: string } }[] }>(
            base,
            p.method,
            p.path,
            p.body,
            sessionHeaders(h.session),
          );
          const ok =
            p.expect === 'not-found'
              ? status === 404
              : p.expect === 'own-only'
                ? status === 403 && body.type === 'urn:steward:problem:own-only'
                : status === 200 &&
                  (body.items ?? []).length > 0 &&
                  (body.items ?? []).every((x) => (x.actor ? x.actor.userId : x.id) === h.id);
          return ok ? null : `${h.name} ${p.method} ${p.path}: ${status} ${JSON.stringify(body).slice(0, 200)}`;
        }),
      ),
    );
    expect(results.length).toBeGreaterThan(150);
    expect(results.filter((r) => r !== null)).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});

describe('routes declare the resource they act on', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => {});
    t = undefined;
  });

  it('refuses to start on a resource the registry does not know, naming the route and the resource', async () => {
    await expect(
      createTestApp('sqlite', {
        extraRoutes: (api) => {
          api.get('/widgets', { config: { permission: 'inventory.view', resource: 'widget' } }, async () => 'oops');
        },
      }),
    ).rejects.toThrow(
      /Refusing to start[\s\S]*GET \/api\/v1\/widgets declares resource "widget", which is not in the resource registry/,
    );
  });

  it('refuses to start on a resource without a permission to scope', async () => {
    await expect(
      createTestApp('sqlite', {
        extraRoutes: (api) => {
          api.get('/loose', { config: { authenticated: true, resource: 'item' } }, async () => 'oops');
        },
      }),
    ).rejects.toThrow(/GET \/api\/v1\/loose declares resource "item" without a permission/);
  });

  it('refuses own access on a route that names no resource (fail closed), and lets all access through', async () => {
    const business = await createBusinessApp('sqlite', 'stores', {
      extraRoutes: (api) => {
        api.get('/unscoped', { config: { permission: 'users.view' } }, async () => ({ ok: true }));
      },
    });
    t = business.t;
    const admin = business.admin;
    const staff = await createStaff(t.app, admin, 'user');
    await grantOwn(admin, staff.id, 'users.view');
    const own = await staff.session.inject({ method: 'GET', url: '/api/v1/unscoped' });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({
      type: 'urn:steward:problem:own-only',
      permission: 'users.view',
      resource: null,
    });
    expect((await admin.inject({ method: 'GET', url: '/api/v1/unscoped' })).statusCode).toBe(200);
  });
});

describe('the scope value', () => {
  it('is all for all access, own ids for own access on an owned resource, and refused otherwise', () => {
    expect(scopeFor('users.view', 'user', 'all', ['u1'])).toMatchObject({ kind: 'all', resource: 'user' });
    expect(scopeFor('users.view', undefined, 'all', ['u1'])).toBeNull();
    const own = scopeFor('users.view', 'user', 'own', ['u1', 'artist-1']);
    expect(own).toMatchObject({ kind: 'own', ownerIds: ['u1', 'artist-1'], resource: 'user' });
    expect(inScope(own as NonNullable<typeof own>, 'u1')).toBe(true);
    expect(inScope(own as NonNullable<typeof own>, 'u2')).toBe(false);
    expect(inScope(own as NonNullable<typeof own>, null)).toBe(false);
    expect(() => scopeFor('inventory.edit', 'item', 'own', ['u1'])).toThrow(OwnOnlyError);
    expect(() => scopeFor('security.audit', 'audit_chain', 'own', ['u1'])).toThrow(/audit chain records have no owner/);
    expect(() => scopeFor('users.view', undefined, 'own', ['u1'])).toThrow(OwnOnlyError);
  });

  /**
   * Never called: `npm run typecheck` fails if any line below compiles, i.e. if a repository
   * of an owned resource could be called without a scope, with a hand-made one, or with the
   * scope of another resource.
   */
  function _forgettingDoesNotCompile(db: Kysely<DB>) {
    // @ts-expect-error the scope is a required argument
    void getUser(db, 'some-id');
    // @ts-expect-error a scope written by hand lacks the guard's brand
    void listUsers(db, { kind: 'all', resource: 'user' }, { status: 'all' });
    // @ts-expect-error the scope of another resource does not fit
    void getUser(db, systemScope('audit_event'), 'some-id');
  }
  it('is required by the repositories of owned resources (checked by the type checker)', () => {
    expect(typeof _forgettingDoesNotCompile).toBe('function');
  });
});
