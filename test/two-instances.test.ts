/**
 * Several instances on PostgreSQL (issue 20, part 6): two `steward serve` processes on one
 * database. A permission change, a deactivation and a master-code rotation made through one apply
 * to the very next request on the other, while clients keep loading the other with requests.
 * PostgreSQL only: SQLite is one process (a second server on the same file refuses to start).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StewardServer, startSteward } from './cli.ts';
import { createTestDatabase, ENGINES } from './harness.ts';
import { post, send } from './net.ts';

const serve = (databaseUrl: string) => startSteward({ env: { DATABASE_URL: databaseUrl } });

type Browser = { cookie: string; csrf: string };

async function signIn(url: string, email: string, password: string): Promise<Browser> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in ${res.status}: ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

const as = (b: Browser) => ({ cookie: b.cookie, 'x-csrf-token': b.csrf });

/**
 * Keeps `clients` loops requesting `url` until stopped; records each answer with the time its
 * request was sent, so answers to requests sent after a change can be told apart.
 */
function load(url: string, headers: Record<string, string>, clients = 6) {
  let running = true;
  const answers: { sentAt: number; status: number }[] = [];
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const sentAt = performance.now();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      answers.push({ sentAt, status: res.status });
    }
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const PG = ENGINES.includes('postgres');

describe.skipIf(!PG)('two server processes on one PostgreSQL database', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: StewardServer;
  let b: StewardServer;
  let admin: Browser;
  const ADMIN = { name: 'Owner', email: 'owner@example.com', password: 'Two-Instances-26' };

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const url = db.config.kind === 'postgres' ? db.config.url : '';
    [a, b] = await Promise.all([serve(url), serve(url)]);
    const setup = await post(a.url, '/api/v1/setup', { businessName: 'Two', template: 'stores', admin: ADMIN });
    expect(setup.status).toBe(201);
    admin = await signIn(a.url, ADMIN.email, ADMIN.password);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  /** A user made on A with a password of their own, signed in on B. */
  async function staffOnB(roleKey: string) {
    const email = `${roleKey}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const made = await post<{ user: { id: string } }>(
      a.url,
      '/api/v1/users',
      { email, name: `Staff ${roleKey}`, roleKey, temporaryPassword: 'Temp-Passw0rd-1' },
      as(admin),
    );
    expect(made.status).toBe(201);
    const first = await signIn(b.url, email, 'Temp-Passw0rd-1');
    const changed = await post(
      b.url,
      '/api/v1/auth/password',
      { currentPassword: 'Temp-Passw0rd-1', newPassword: 'Own-Passw0rd-22' },
      as(first),
    );
    expect(changed.status).toBe(200);
    return { id: made.body.user.id, email, session: await signIn(b.url, email, 'Own-Passw0rd-22') };
  }

  it('a deny made on A refuses the very next request on B, under load', async () => {
    const staff = await staffOnB('user');
    const items = `${b.url}/api/v1/items?limit=5`;
    expect((await send(b.url, 'GET', '/api/v1/items?limit=5', undefined, as(staff.session))).status).toBe(200);
    const traffic = load(items, as(staff.session));
    await new Promise((r) => setTimeout(r, 300));
    const deny = await send(
      a.url,
      'PUT',
      `/api/v1/users/${staff.id}/permissions/inventory.view`,
      { effect: 'deny', reason: 'moved to another team' },
      as(admin),
    );
    const changedAt = performance.now();
    expect(deny.status).toBe(200);
    const next = await send(b.url, 'GET', '/api/v1/items?limit=5', undefined, as(staff.session));
    await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    expect(next.status).toBe(403);
    // Requests in flight while the deny commits may get either answer; those sent after it must be refused.
    const statuses = new Set(traffic.answers.map((x) => x.status));
    expect([...statuses].sort()).toEqual([200, 403]);
    const after = traffic.answers.filter((x) => x.sentAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((x) => x.status !== 403)).toEqual([]);
  });

  it('a module switched off on A is refused on B at its very next request, under load, and back on it answers', async () => {
    const staff = await staffOnB('user');
    const orders = `${b.url}/api/v1/purchase-orders`;
    expect((await send(b.url, 'GET', '/api/v1/purchase-orders', undefined, as(staff.session))).status).toBe(200);
    const traffic = load(orders, as(staff.session));
    await new Promise((r) => setTimeout(r, 300));
    const off = await send(a.url, 'PUT', '/api/v1/settings/modules/orders', { on: false }, as(admin));
    const changedAt = performance.now();
    expect(off.status).toBe(200);
    const next = await send<{ type: string }>(b.url, 'GET', '/api/v1/purchase-orders', undefined, as(staff.session));
    await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    expect(next.status).toBe(403);
    expect(next.body.type).toBe('urn:steward:problem:module-off');
    const after = traffic.answers.filter((x) => x.sentAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((x) => x.status !== 403)).toEqual([]);
    expect((await send(a.url, 'PUT', '/api/v1/settings/modules/orders', { on: true }, as(admin))).status).toBe(200);
    expect((await send(b.url, 'GET', '/api/v1/purchase-orders', undefined, as(staff.session))).status).toBe(200);
  });

  it('a deactivation made on A ends the session on B at its very next request, under load', async () => {
    const staff = await staffOnB('user');
    const traffic = load(`${b.url}/api/v1/me`, as(staff.session));
    await new Promise((r) => setTimeout(r, 300));
    const off = await post(a.url, `/api/v1/users/${staff.id}/deactivate`, { reason: 'left the lab' }, as(admin));
    const changedAt = performance.now();
    expect(off.status).toBe(200);
    const next = await send(b.url, 'GET', '/api/v1/me', undefined, as(staff.session));
    await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    expect(next.status).toBe(401);
    const after = traffic.answers.filter((x) => x.sentAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((x) => x.status !== 401)).toEqual([]);
  });

  it('a master-code rotation made on A ends the unlock on B and refuses the old code there', async () => {
    const role = await post(
      a.url,
      '/api/v1/roles',
      { key: 'desk', name: 'Desk', inherits: ['user'], entries: { 'users.view': 'elevated' } },
      as(admin),
    );
    expect(role.status).toBe(201);
    const rotated = await post<{ code: string }>(a.url, '/api/v1/security/master-code/rotate', {}, as(admin));
    expect(rotated.status).toBe(200);
    const desk = await staffOnB('desk');
    const unlock = await fetch(`${b.url}/api/v1/auth/elevate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as(desk.session) },
      body: JSON.stringify({ code: rotated.body.code }),
    });
    expect(unlock.status).toBe(200);
    // Elevation opens a new session id.
    const elevated: Browser = {
      cookie: (unlock.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
      csrf: ((await unlock.json()) as { csrfToken: string }).csrfToken,
    };
    expect((await send(b.url, 'GET', '/api/v1/users', undefined, as(elevated))).status).toBe(200);
    const traffic = load(`${b.url}/api/v1/users`, as(elevated));
    await new Promise((r) => setTimeout(r, 300));
    const again = await post<{ code: string }>(a.url, '/api/v1/security/master-code/rotate', {}, as(admin));
    const changedAt = performance.now();
    expect(again.status).toBe(200);
    const next = await send(b.url, 'GET', '/api/v1/users', undefined, as(elevated));
    await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    expect(next.status).toBe(403);
    const after = traffic.answers.filter((x) => x.sentAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((x) => x.status === 200)).toEqual([]);
    const old = await post(b.url, '/api/v1/auth/elevate', { code: rotated.body.code }, as(elevated));
    expect(old.status).toBeGreaterThanOrEqual(400);
  });
});
