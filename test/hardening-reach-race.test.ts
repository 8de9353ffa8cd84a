/**
 * Reach under concurrency (issue 10, reliability promise 27), with real parallel HTTP requests
 * on every engine: two managers who cover each other act on each other at the same moment. Each
 * request alone is allowed; once one has gone through, the other actor no longer covers its
 * target, so exactly one may succeed. This holds only if reach is judged inside the access lock on
 * what the actor holds then, not on what was read when the request arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import { createApiKey, setOverride } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type Fetcher = (
  method: string,
  url: string,
  body?: unknown,
) => Promise<{ status: number; json: Record<string, unknown> }>;

function client(base: string, s: Session): Fetcher {
  return async (method, url, body) => {
    const res = await send(base, method, url, body, sessionHeaders(s));
    return { status: res.status, json: res.body };
  };
}

describe.each(ENGINES)('reach under parallel requests on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    const made = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: {
        key: 'manager',
        name: 'Manager',
        inherits: ['superuser'],
        entries: {
          'users.manage_permissions': 'allow',
          'users.edit': 'allow',
          'users.delete': 'allow',
          'settings.permissions': 'allow',
        },
      },
    });
    expect(made.statusCode).toBe(201);
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  async function pair(round: number) {
    const a = await createStaff(t.app, admin, 'manager', `Mgr A${round}`);
    const b = await createStaff(t.app, admin, 'manager', `Mgr B${round}`);
    return { a: { ...a, http: client(base, a.session) }, b: { ...b, http: client(base, b.session) } };
  }

  it('an API-key keeper revoking an admin’s key 50 times at once is refused every time; the owner’s 50 revokes count once', async () => {
    const keeper = await createStaff(t.app, admin, 'user', 'Kim Keeper');
    await setOverride(admin, keeper.id, 'security.api_keys', { effect: 'grant', reason: 'rotates keys' });
    const { key, apiKey } = await createApiKey(admin, ['users.view']);
    const kim = client(base, keeper.session);
    const attacks = await Promise.all(Array.from({ length: 50 }, () => kim('DELETE', `/api/v1/api-keys/${apiKey.id}`)));
    expect(attacks.map((r) => r.status).filter((s) => s !== 403)).toEqual([]);
    const bearer = { authorization: `Bearer ${key}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(200);

    const before = await countAuditEvents(t.app.services.database.db, 'security.api_key.revoke');
    const own = client(base, admin);
    const revokes = await Promise.all(Array.from({ length: 50 }, () => own('DELETE', `/api/v1/api-keys/${apiKey.id}`)));
    expect(revokes.filter((r) => r.status === 200)).toHaveLength(1);
    expect(revokes.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([]);
    expect(await countAuditEvents(t.app.services.database.db, 'security.api_key.revoke')).toBe(before + 1);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer })).statusCode).toBe(401);
  });

  it('50 parallel lifts of one deny: all answer 200, the deny is lifted once and audited once', async () => {
    const clerk = await createStaff(t.app, admin, 'user', 'Dee Denied');
    await setOverride(admin, clerk.id, 'sales.view', { effect: 'deny', reason: 'on leave' });
    const before = await countAuditEvents(t.app.services.database.db, 'permissions.change');
    const http = client(base, admin);
    const lifts = await Promise.all(
      Array.from({ length: 50 }, () =>
        http('PUT', `/api/v1/users/${clerk.id}/permissions/sales.view`, { effect: 'inherit', reason: 'back' }),
      ),
    );
    expect(lifts.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(await countAuditEvents(t.app.services.database.db, 'permissions.change')).toBe(before + 1);
    const view = await admin.inject({ method: 'GET', url: `/api/v1/users/${clerk.id}/permissions` });
    expect(view.json().items.find((i: { permission: string }) => i.permission === 'sales.view').state).not.toBe('deny');
  });

  it('two managers denying each other at once: exactly one deny applies', async () => {
    for (let round = 0; round < 3; round++) {
      const { a, b } = await pair(round);
      const body = { effect: 'deny', reason: 'race test' };
      const [ab, ba] = await Promise.all([
        a.http('PUT', `/api/v1/users/${b.id}/permissions/reports.export`, body),
        b.http('PUT', `/api/v1/users/${a.id}/permissions/reports.export`, body),
      ]);
      expect([ab.status, ba.status].sort()).toEqual([200, 403]);
      const loser = ab.status === 403 ? ab : ba;
      expect(loser.json.type).toBe('urn:steward:problem:out-of-reach');
      const denies = await t.app.services.database.db
        .selectFrom('user_overrides')
        .select('user_id')
        .where('user_id', 'in', [a.id, b.id])
        .where('effect', '=', 'deny')
        .execute();
      expect(denies).toHaveLength(1);
    }
  });

  it('two managers demoting each other at once: exactly one role change applies', async () => {
    for (let round = 10; round < 13; round++) {
      const { a, b } = await pair(round);
      const [ab, ba] = await Promise.all([
        a.http('PUT', `/api/v1/users/${b.id}/role`, { roleKey: 'user', reason: 'race test' }),
        b.http('PUT', `/api/v1/users/${a.id}/role`, { roleKey: 'user', reason: 'race test' }),
      ]);
      expect([ab.status, ba.status].sort()).toEqual([200, 403]);
      const roles = await t.app.services.database.db
        .selectFrom('users')
        .select('role_key')
        .where('id', 'in', [a.id, b.id])
        .execute();
      expect(roles.map((r) => r.role_key).sort()).toEqual(['manager', 'user']);
    }
  });

  it('two managers deactivating each other at once: exactly one is deactivated', async () => {
    for (let round = 20; round < 23; round++) {
      const { a, b } = await pair(round);
      const [ab, ba] = await Promise.all([
        a.http('POST', `/api/v1/users/${b.id}/deactivate`, { reason: 'race test' }),
        b.http('POST', `/api/v1/users/${a.id}/deactivate`, { reason: 'race test' }),
      ]);
      expect([ab.status, ba.status].filter((s) => s === 200)).toHaveLength(1);
      const active = await t.app.services.database.db
        .selectFrom('users')
        .select('active')
        .where('id', 'in', [a.id, b.id])
        .execute();
      expect(active.map((r) => Number(r.active)).sort()).toEqual([0, 1]);
    }
  });

  it('a manager editing their own role twice at once never ends up holding what they did not hold', async () => {
    const m = await createStaff(t.app, admin, 'manager', 'Mo Manager');
    const http = client(base, m.session);
    const roles = (await admin.inject({ method: 'GET', url: '/api/v1/roles' })).json().items as {
      key: string;
      entries: Record<string, string>;
    }[];
    const entries = (roles.find((r) => r.key === 'manager') as { entries: Record<string, string> }).entries;
    // Each request adds a different permission the manager lacks; neither may pass, in any order.
    const [one, two] = await Promise.all([
      http('PUT', '/api/v1/roles/manager', {
        name: 'Manager',
        inherits: ['superuser'],
        entries: { ...entries, 'backup.restore': 'allow' },
      }),
      http('PUT', '/api/v1/roles/manager', { name: 'Manager', inherits: ['superuser', 'admin'], entries }),
    ]);
    expect([one.status, two.status]).toEqual([403, 403]);
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/users/${m.id}/permissions` })).json().items as {
      permission: string;
      access: string;
    }[];
    expect(after.find((i) => i.permission === 'backup.restore')?.access).toBe('none');
  });
});
