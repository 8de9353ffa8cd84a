/**
 * Attacks on the reads kept while nothing is committed (`prepared(…, { untilChanged: true })`,
 * SQLite's data version; unchanged-reads.test.ts has the first proofs). Each change below is made
 * while real parallel requests keep the kept answers warm; once the change has been answered, every
 * later request must see it: roles, overrides, deactivation, logout, a password change, elevation
 * (by the clock and by a master-code rotation), modules, the idle timeout, API key expiry, item
 * ETags, a write outside any transaction, and a second app on the same SQLite file. PostgreSQL
 * keeps nothing; the same attacks run there when it is available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { dataVersionOf } from '../src/server/db/change-version.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { prepared } from '../src/server/db/prepared.ts';
import { createApiKey, createItem, setOverride } from './factories.ts';
import {
  createBusinessApp,
  createStaff,
  ENGINES,
  login,
  type Session,
  STAFF_PASSWORD,
  sessionFrom,
  type TestApp,
  testConfig,
} from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

const MIN = 60_000;

/** `n` parallel requests; their statuses. */
async function statuses(n: number, one: () => Promise<{ status: number }>): Promise<number[]> {
  return (await Promise.all(Array.from({ length: n }, one))).map((r) => r.status);
}

describe.each(ENGINES)('kept reads under attack on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  const asAdmin = () => sessionHeaders(admin);
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  /**
   * Runs `change` while 30 requests of `read` are in flight; then every one of 20 more must answer
   * `after`.
   */
  async function changeUnderLoad(
    read: () => Promise<{ status: number }>,
    change: () => Promise<{ status: number }>,
    after: number,
    changeStatus = 200,
  ) {
    expect(await statuses(30, read)).toEqual(Array(30).fill(200));
    const load = statuses(30, read);
    const changed = await change();
    expect(changed.status).toBe(changeStatus);
    await load;
    expect(await statuses(20, read)).toEqual(Array(20).fill(after));
  }

  it('a role edit through the API applies at the very next request', async () => {
    const role = `probe-${engine}`;
    const made = await send(
      base,
      'POST',
      '/api/v1/roles',
      {
        key: role,
        name: 'Probe',
        inherits: ['user'],
        entries: { 'users.view': 'allow' },
      },
      asAdmin(),
    );
    expect(made.status).toBe(201);
    const staff = await createStaff(t.app, admin, role);
    const read = () => send(base, 'GET', '/api/v1/users', undefined, sessionHeaders(staff.session));
    const edit = (entries: Record<string, string>) =>
      send(base, 'PUT', `/api/v1/roles/${role}`, { name: 'Probe', inherits: ['user'], entries }, asAdmin());
    await changeUnderLoad(read, () => edit({}), 403);
    expect((await edit({ 'users.view': 'allow' })).status).toBe(200);
    expect(await statuses(10, read)).toEqual(Array(10).fill(200));
  });

  it('a deny, then a grant, set through the API apply at the very next request', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const item = await createItem(admin);
    const read = () => send(base, 'GET', `/api/v1/items/${item.id}`, undefined, sessionHeaders(staff.session));
    await changeUnderLoad(
      read,
      async () => ({ status: (await setOverride(admin, staff.id, 'inventory.view', { effect: 'deny' })) ? 200 : 0 }),
      403,
    );
    await setOverride(admin, staff.id, 'inventory.view', { effect: 'grant' });
    expect(await statuses(10, read)).toEqual(Array(10).fill(200));
  });

  it('a deactivation through the API refuses the session and the API key at the very next request', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    await setOverride(admin, staff.id, 'security.api_keys', { effect: 'grant' });
    const { key } = await createApiKey(staff.session, ['inventory.view']);
    const item = await createItem(admin);
    const bySession = () => send(base, 'GET', '/api/v1/me', undefined, sessionHeaders(staff.session));
    const byKey = () => send(base, 'GET', `/api/v1/items/${item.id}`, undefined, { authorization: `Bearer ${key}` });
    expect(await statuses(20, byKey)).toEqual(Array(20).fill(200));
    const keyLoad = statuses(20, byKey);
    await changeUnderLoad(
      bySession,
      () => send(base, 'POST', `/api/v1/users/${staff.id}/deactivate`, {}, asAdmin()),
      401,
    );
    await keyLoad;
    expect(await statuses(10, byKey)).toEqual(Array(10).fill(401));
  });

  it('a logout ends the session, and a password change ends the other sessions, at the very next request', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const other = await login(t.app, staff.email, STAFF_PASSWORD);
    const readOther = () => send(base, 'GET', '/api/v1/me', undefined, sessionHeaders(other));
    const changed = await changeUnderLoad(
      readOther,
      () =>
        send(
          base,
          'POST',
          '/api/v1/auth/password',
          { currentPassword: STAFF_PASSWORD, newPassword: 'Another-Passw0rd-9' },
          sessionHeaders(staff.session),
        ),
      401,
    );
    void changed;
    const third = await login(t.app, staff.email, 'Another-Passw0rd-9');
    const readThird = () => send(base, 'GET', '/api/v1/me', undefined, sessionHeaders(third));
    await changeUnderLoad(readThird, () => send(base, 'POST', '/api/v1/auth/logout', {}, sessionHeaders(third)), 401);
  });

  it('a module switched off is refused at the very next request, and back on at once', async () => {
    const read = () => send(base, 'GET', '/api/v1/purchase-orders', undefined, asAdmin());
    const put = (on: boolean) => send(base, 'PUT', '/api/v1/settings/modules/orders', { on }, asAdmin());
    await changeUnderLoad(read, () => put(false), 403);
    expect((await put(true)).status).toBe(200);
    expect(await statuses(10, read)).toEqual(Array(10).fill(200));
  });

  it('a shorter idle timeout saved through the API ends an idle session at its next request', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const read = () => send(base, 'GET', '/api/v1/me', undefined, sessionHeaders(staff.session));
    expect(await statuses(20, read)).toEqual(Array(20).fill(200));
    const settings = (await send(base, 'GET', '/api/v1/settings/security', undefined, asAdmin())).body;
    const idle = Number(settings.sessionIdleMinutes);
    expect(idle).toBeGreaterThan(10);
    // Idle for 10 minutes: within the timeout, then not, once the timeout is 5 minutes.
    t.clock.advance(10 * MIN);
    const saved = await send(
      base,
      'PUT',
      '/api/v1/settings/security',
      { ...settings, sessionIdleMinutes: 5 },
      asAdmin(),
    );
    expect(saved.status).toBe(200);
    try {
      expect(await statuses(10, read)).toEqual(Array(10).fill(401));
    } finally {
      await send(base, 'PUT', '/api/v1/settings/security', settings, asAdmin());
    }
  });

  it('an API key stops at its expiry by the clock, though nothing was committed', async () => {
    const item = await createItem(admin);
    const expiresAt = new Date(t.clock.now + 30 * MIN).toISOString();
    const { key } = await createApiKey(admin, ['inventory.view'], { expiresAt });
    const read = () => send(base, 'GET', `/api/v1/items/${item.id}`, undefined, { authorization: `Bearer ${key}` });
    expect(await statuses(30, read)).toEqual(Array(30).fill(200));
    t.clock.advance(30 * MIN);
    expect(await statuses(10, read)).toEqual(Array(10).fill(401));
  });

  it('elevation ends by the clock, and at once when the master code is rotated', async () => {
    const roles = (
      await send<{ items: { key: string; name: string; entries: Record<string, string> }[] }>(
        base,
        'GET',
        '/api/v1/roles',
        undefined,
        asAdmin(),
      )
    ).body.items;
    const role = roles.find((r) => r.key === 'user');
    if (!role) throw new Error('no user role');
    const role2 = `elev-${engine}`;
    const made = await send(
      base,
      'POST',
      '/api/v1/roles',
      {
        key: role2,
        name: 'Elevates',
        inherits: ['user'],
        entries: { 'users.view': 'elevated' },
      },
      asAdmin(),
    );
    expect(made.status).toBe(201);
    const staff = await createStaff(t.app, admin, role2);
    const rotate = () => send<{ code: string }>(base, 'POST', '/api/v1/security/master-code/rotate', {}, asAdmin());
    const elevate = async (code: string) => {
      const s = await login(t.app, staff.email, STAFF_PASSWORD);
      const res = await s.inject({ method: 'POST', url: '/api/v1/auth/elevate', payload: { code } });
      expect(res.statusCode).toBe(200);
      return sessionFrom(t.app, res);
    };
    const code = (await rotate()).body.code;

    const byClock = await elevate(code);
    const readClock = () => send(base, 'GET', '/api/v1/users', undefined, sessionHeaders(byClock));
    expect(await statuses(30, readClock)).toEqual(Array(30).fill(200));
    t.clock.advance(5 * MIN + 1000);
    expect(await statuses(10, readClock)).toEqual(Array(10).fill(403));

    const byRotation = await elevate(code);
    const read = () => send(base, 'GET', '/api/v1/users', undefined, sessionHeaders(byRotation));
    await changeUnderLoad(read, rotate, 403);
  });

  it('an item changed through the API is answered in full to the old ETag, never 304', async () => {
    const item = await createItem(admin);
    const url = `${base}/api/v1/items/${item.id}`;
    const first = await fetch(url, { headers: asAdmin() });
    const tag = first.headers.get('etag') ?? '';
    expect(tag).not.toBe('');
    await first.arrayBuffer();
    const conditional = async () => {
      const res = await fetch(url, { headers: { ...asAdmin(), 'if-none-match': tag } });
      if (res.status !== 200) {
        await res.arrayBuffer();
        return { status: res.status, name: null };
      }
      return { status: res.status, name: ((await res.json()) as { name: string }).name };
    };
    expect((await Promise.all(Array.from({ length: 30 }, conditional))).map((r) => r.status)).toEqual(
      Array(30).fill(304),
    );
    const load = Promise.all(Array.from({ length: 30 }, conditional));
    const renamed = await send(base, 'PATCH', `/api/v1/items/${item.id}`, { name: 'Renamed under load' }, asAdmin());
    expect(renamed.status).toBe(200);
    await load;
    const after = await Promise.all(Array.from({ length: 20 }, conditional));
    expect(after).toEqual(Array(20).fill({ status: 200, name: 'Renamed under load' }));
  });

  it('a write outside any transaction on the app’s own database applies at the very next request', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const read = () => send(base, 'GET', '/api/v1/me', undefined, sessionHeaders(staff.session));
    await changeUnderLoad(
      read,
      async () => {
        await t.app.services.database.db.updateTable('users').set({ active: 0 }).where('id', '=', staff.id).execute();
        return { status: 200 };
      },
      401,
    );
  });

  it('gives each caller its own copy of a kept row', async () => {
    const db = t.app.services.database.db;
    const read = prepared(
      (d, key: string) => d.selectFrom('settings').select(['key', 'value']).where('key', '=', key),
      { untilChanged: true },
    );
    const [a] = await read(db, 'modules');
    const [b] = await read(db, 'modules');
    if (!a || !b) throw new Error('no modules setting');
    const value = b.value;
    a.value = 'changed by a caller';
    b.value = 'changed by another';
    expect((await read(db, 'modules'))[0]?.value).toBe(value);
  });
});

describe.skipIf(!ENGINES.includes('sqlite'))('two apps on one SQLite file', () => {
  let t: TestApp;
  let admin: Session;
  let other: Awaited<ReturnType<typeof buildApp>>;
  let baseA: string;
  let baseB: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp('sqlite', 'stores'));
    if (t.config.database.kind !== 'sqlite') throw new Error('SQLite only');
    other = await buildApp(testConfig(t.config.database, t.clock, {}, t.config.dataDir), {
      database: openDatabase(t.config.database),
    });
    await other.ready();
    baseA = await listenLocal(t.app);
    baseB = await listenLocal(other);
  });
  afterAll(async () => {
    await other?.close();
    await t.close();
  });

  it('a deny, a grant and a deactivation made through one apply at the next request to the other', async () => {
    const staff = await createStaff(t.app, admin, 'user');
    const item = await createItem(admin);
    const readB = () => send(baseB, 'GET', `/api/v1/items/${item.id}`, undefined, sessionHeaders(staff.session));
    const meB = () => send(baseB, 'GET', '/api/v1/me', undefined, sessionHeaders(staff.session));
    expect(await statuses(30, readB)).toEqual(Array(30).fill(200));
    const load = statuses(30, readB);
    await setOverride(admin, staff.id, 'inventory.view', { effect: 'deny' });
    await load;
    expect(await statuses(10, readB)).toEqual(Array(10).fill(403));
    await setOverride(admin, staff.id, 'inventory.view', { effect: 'grant' });
    expect(await statuses(10, readB)).toEqual(Array(10).fill(200));

    expect(await statuses(30, meB)).toEqual(Array(30).fill(200));
    const meLoad = statuses(30, meB);
    const off = await send(baseA, 'POST', `/api/v1/users/${staff.id}/deactivate`, {}, sessionHeaders(admin));
    expect(off.status).toBe(200);
    await meLoad;
    expect(await statuses(10, meB)).toEqual(Array(10).fill(401));
  });

  it('a role edit and a module switched off through one apply at the next request to the other', async () => {
    const made = await send(
      baseA,
      'POST',
      '/api/v1/roles',
      { key: 'probe-two', name: 'Probe two', inherits: ['user'], entries: { 'users.view': 'allow' } },
      sessionHeaders(admin),
    );
    expect(made.status).toBe(201);
    const staff = await createStaff(t.app, admin, 'probe-two');
    const usersB = () => send(baseB, 'GET', '/api/v1/users', undefined, sessionHeaders(staff.session));
    expect(await statuses(30, usersB)).toEqual(Array(30).fill(200));
    const load = statuses(30, usersB);
    const edited = await send(
      baseA,
      'PUT',
      '/api/v1/roles/probe-two',
      { name: 'Probe two', inherits: ['user'], entries: {} },
      sessionHeaders(admin),
    );
    expect(edited.status).toBe(200);
    await load;
    expect(await statuses(10, usersB)).toEqual(Array(10).fill(403));

    const ordersB = () => send(baseB, 'GET', '/api/v1/purchase-orders', undefined, sessionHeaders(admin));
    expect(await statuses(30, ordersB)).toEqual(Array(30).fill(200));
    const put = (on: boolean) => send(baseA, 'PUT', '/api/v1/settings/modules/orders', { on }, sessionHeaders(admin));
    expect((await put(false)).status).toBe(200);
    expect(await statuses(10, ordersB)).toEqual(Array(10).fill(403));
    expect((await put(true)).status).toBe(200);
    expect(await statuses(10, ordersB)).toEqual(Array(10).fill(200));
  });

  it('an item changed through one is answered in full by the other to the old ETag', async () => {
    const item = await createItem(admin);
    const url = `${baseB}/api/v1/items/${item.id}`;
    const first = await fetch(url, { headers: sessionHeaders(admin) });
    const tag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    const again = await fetch(url, { headers: { ...sessionHeaders(admin), 'if-none-match': tag } });
    expect(again.status).toBe(304);
    await again.arrayBuffer();
    const renamed = await send(
      baseA,
      'PATCH',
      `/api/v1/items/${item.id}`,
      { name: 'Renamed on A' },
      sessionHeaders(admin),
    );
    expect(renamed.status).toBe(200);
    const after = await fetch(url, { headers: { ...sessionHeaders(admin), 'if-none-match': tag } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { name: string }).name).toBe('Renamed on A');
  });
});

describe.each(ENGINES)('closing while requests are in flight on %s', (engine) => {
  it('answers no request with a 500', async () => {
    const { t, admin } = await createBusinessApp(engine, 'stores');
    const base = await listenLocal(t.app);
    const item = await createItem(admin);
    const one = async () => {
      try {
        const res = await fetch(`${base}/api/v1/items/${item.id}`, { headers: sessionHeaders(admin) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0; // the connection closed: no answer, which is not a 500
      }
    };
    expect((await Promise.all(Array.from({ length: 10 }, one))).every((s) => s === 200)).toBe(true);
    const inFlight = Promise.all(Array.from({ length: 200 }, one));
    await new Promise((r) => setTimeout(r, 40));
    const closing = t.close();
    const answered = await inFlight;
    // Connections whose request was still running when closing began stay open, idle, for
    // Fastify's keep-alive timeout (72 s), and closing waits for them (reported separately):
    // closed here so the test waits only for the requests.
    t.app.server.closeIdleConnections();
    await closing;
    // Fastify lets the requests already inside finish before the database closes (503 or a
    // dropped connection for the rest); the data version of a closed database is none, not a throw.
    expect(answered.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(dataVersionOf(t.app.services.database.db)).toBeNull();
  });
});
