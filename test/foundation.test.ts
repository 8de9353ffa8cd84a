import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/database.ts';
import { durability } from '../src/server/db/dialect.ts';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import { LOGIN_FAILED } from '../src/server/modules/auth/auth.service.ts';
import { PERMISSION_KEYS } from '../src/shared/permissions/catalog.ts';
import { ADMIN_PASSWORD, createTestApp, ENGINES, login, setupBusiness, type TestApp } from './harness.ts';
import { findPostgresBin, startCluster } from './postgres.ts';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe.each(ENGINES)('foundation on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, {
      extraRoutes: (api) => {
        api.get('/boom', { config: { public: true } }, async () => {
          throw new Error('secret: database password is hunter2 at SELECT * FROM users');
        });
      },
    });
  });
  afterAll(async () => t.close());

  it('answers /healthz and /readyz with the engine and no pending migrations', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({
      status: 'ok',
      disk: {
        freeBytes: expect.any(Number),
        totalBytes: expect.any(Number),
        freePercent: expect.any(Number),
        low: expect.any(Boolean),
      },
    });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      database: { engine, reachable: true },
      migrations: { current: true, pending: [] },
    });
  });

  it('reports setup as needed before the first run, with both templates', async () => {
    const res = await t.app.inject('/api/v1/setup');
    expect(res.json().needed).toBe(true);
    expect(res.json().templates.map((x: { key: string }) => x.key)).toEqual(['studio', 'stores']);
  });

  it('refuses a weak admin password with 422 and a message per rule, writing nothing', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: {
        businessName: 'X',
        template: 'stores',
        admin: { name: 'A', email: 'a@example.com', password: 'weak' },
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json().errors.map((e: { message: string }) => e.message)).toEqual([
      'Use at least 8 characters.',
      'Add an upper-case letter.',
      'Add a digit.',
    ]);
    expect(await countAuditEvents(t.app.services.database.db)).toBe(0);
  });

  it('refuses a password longer than 72 bytes instead of truncating it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: {
        businessName: 'X',
        template: 'stores',
        admin: { name: 'A', email: 'a@example.com', password: `Aa1${'é'.repeat(40)}` },
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/at most 72 bytes/);
  });

  it('answers a schema violation with 400 naming each field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { businessName: '', template: 'bakery', admin: { name: 'A', email: 'not-an-email', password: 'x' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['businessName', 'template', 'admin.email']));
  });

  it('answers malformed JSON with 400, a wrong content type with 415 and an oversized body with 413', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().type).toBe('urn:steward:problem:malformed-request');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ businessName: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toBe(PROBLEM);
  });

  it('answers an unknown API path with a 404 problem', async () => {
    const res = await t.app.inject('/api/v1/no-such-thing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      status: 404,
      type: 'urn:steward:problem:not-found',
      instance: '/api/v1/no-such-thing',
    });
  });

  it('hides the cause of a 500 behind a generic message with the request id', async () => {
    const res = await t.app.inject('/api/v1/boom');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe(PROBLEM);
    const body = res.json();
    expect(body.detail).toContain(body.requestId);
    expect(res.body).not.toMatch(/hunter2|SELECT|secret|at .*\.ts/);
  });

  it('sends security headers with a content security policy', async () => {
    const res = await t.app.inject('/healthz');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  describe('after setup', () => {
    let admin: { email: string; password: string; adminId: string };
    beforeAll(async () => {
      admin = await setupBusiness(t.app, 'stores');
    });

    it('refuses a second setup with 409 and writes nothing', async () => {
      const before = await countAuditEvents(t.app.services.database.db);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        payload: {
          businessName: 'Y',
          template: 'studio',
          admin: { name: 'B', email: 'b@example.com', password: ADMIN_PASSWORD },
        },
      });
      expect(res.statusCode).toBe(409);
      expect(await countAuditEvents(t.app.services.database.db)).toBe(before);
      expect((await t.app.inject('/api/v1/setup')).json().needed).toBe(false);
    });

    it('audits the setup and the admin account in the same transaction', async () => {
      const db = t.app.services.database.db;
      expect(await countAuditEvents(db, 'setup.completed')).toBe(1);
      expect(await countAuditEvents(db, 'users.create')).toBe(1);
    });

    it('signs in with an HttpOnly, SameSite session cookie and returns effective permissions', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: admin });
      expect(res.statusCode).toBe(200);
      const cookie = res.cookies.find((c) => c.name === 'steward_session');
      expect(cookie?.httpOnly).toBe(true);
      expect(cookie?.sameSite).toBe('Lax');
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const me = res.json();
      expect(me.user).toMatchObject({ email: admin.email, role: { key: 'admin', name: 'Admin' } });
      expect(me.business.template).toBe('stores');
      expect(me.permissions).toHaveLength(PERMISSION_KEYS.length);
      expect(me.permissions.every((p: { access: string }) => p.access === 'all')).toBe(true);
      // The token is stored only as a hash.
      const rows = await sql<{ id: string }>`select id from sessions`.execute(t.app.services.database.db);
      expect(rows.rows.map((r) => r.id)).not.toContain(cookie?.value);
    });

    it('marks the cookie Secure behind TLS (a trusted proxy says https), and not over plain HTTP', async () => {
      const proxied = await createTestApp(engine, { config: { trustProxy: true } });
      try {
        const a = await setupBusiness(proxied.app, 'stores');
        const payload = { email: a.email, password: a.password };
        const tls = await proxied.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-forwarded-proto': 'https' },
          payload,
        });
        expect(tls.cookies.find((c) => c.name === 'steward_session')).toMatchObject({ secure: true, httpOnly: true });
        const plain = await proxied.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
        expect(plain.cookies.find((c) => c.name === 'steward_session')?.secure).toBeUndefined();
      } finally {
        await proxied.close();
      }
    });

    it('gives unknown email, wrong password and a long password the same answer', async () => {
      const answers = await Promise.all(
        [
          { email: 'nobody@example.com', password: ADMIN_PASSWORD },
          { email: admin.email, password: 'Wrong-Password-1' },
          { email: admin.email, password: 'A'.repeat(100) },
        ].map((payload) => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })),
      );
      for (const res of answers) {
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toBe(LOGIN_FAILED);
      }
    });

    it('serves /me to the session, refuses a mutation without the CSRF token, and logs out', async () => {
      const s = await login(t.app, admin.email, admin.password);
      expect((await s.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
      const noCsrf = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: s.cookie } });
      expect(noCsrf.statusCode).toBe(403);
      expect(noCsrf.json().detail).toMatch(/CSRF/);
      const out = await s.inject({ method: 'POST', url: '/api/v1/auth/logout' });
      expect(out.statusCode).toBe(200);
      // The browser drops the cookie: empty, expired, on the path it was set for.
      const cleared = out.cookies.find((c) => c.name === 'steward_session');
      expect(cleared).toMatchObject({ value: '', path: '/', maxAge: 0, sameSite: 'Lax' });
      expect(cleared?.expires?.getTime()).toBe(0);
      const after = await s.inject({ method: 'GET', url: '/api/v1/me' });
      expect(after.statusCode).toBe(401);
    });

    it('ends a session after the idle timeout', async () => {
      const s = await login(t.app, admin.email, admin.password);
      t.clock.advance(61 * 60_000);
      expect((await s.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    });

    it('locks the account after 10 failures: even the right password then gets the generic answer', async () => {
      // The admin is the only account: lock it, then let the lock run out for the tests after.
      const victim = admin.email;
      for (let i = 0; i < 10; i++) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: victim, password: 'Wrong-Pass-1' },
        });
        expect(r.statusCode).toBe(401);
      }
      const locked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: victim, password: ADMIN_PASSWORD },
      });
      expect(locked.statusCode).toBe(401);
      expect(locked.json().detail).toBe(LOGIN_FAILED);
      expect(await countAuditEvents(t.app.services.database.db, 'auth.lockout')).toBe(1);
      t.clock.advance(16 * 60_000);
      const unlocked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: victim, password: ADMIN_PASSWORD },
      });
      expect(unlocked.statusCode).toBe(200);
    });

    it('answers /me without a session with 401', async () => {
      const res = await t.app.inject('/api/v1/me');
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toBe(PROBLEM);
    });
  });

  it('publishes OpenAPI 3.1 in which every operation names its guard', async () => {
    const res = await t.app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, { 'x-permission'?: string }>>).flatMap(
      ([p, methods]) => Object.entries(methods).map(([m, op]) => ({ p, m, guard: op['x-permission'] })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(5);
    for (const op of ops) {
      expect(
        op.guard === 'public' ||
          op.guard === 'authenticated' ||
          (PERMISSION_KEYS as readonly string[]).includes(op.guard ?? ''),
      ).toBe(true);
    }
    expect(doc.paths['/api/v1/auth/login'].post['x-permission']).toBe('public');
    expect((await t.app.inject('/api/docs')).statusCode).toBe(200);
  });

  it('runs with the promised durability settings', { timeout: 120_000 }, async () => {
    if (engine === 'postgres') {
      // The suite's shared cluster runs without fsync for speed; a cluster with PostgreSQL's
      // production defaults shows what Steward's sessions run with (nothing may lower them).
      const bin = findPostgresBin();
      if (bin) {
        const cluster = await startCluster(bin, { durable: true });
        const database = openDatabase({ kind: 'postgres', url: cluster.url });
        try {
          const d = await durability(database.db, engine);
          expect(d.fsync).toBe('on');
          expect(d.full_page_writes).toBe('on');
          expect(['on', 'remote_write', 'remote_apply']).toContain(d.synchronous_commit);
        } finally {
          await database.close();
          cluster.stop();
        }
      }
    }
    const d = await durability(t.app.services.database.db, engine);
    if (engine === 'sqlite') {
      expect(d.journal_mode).toBe('wal');
      expect(d.synchronous).toBe('2'); // FULL
      expect(d.foreign_keys).toBe('1');
      expect(Number(d.busy_timeout)).toBeGreaterThan(0);
    } else {
      // A commit is flushed (and on a synchronous standby, if any) before it is acknowledged.
      expect(['on', 'remote_write', 'remote_apply']).toContain(d.synchronous_commit);
    }
  });
});

describe.each(ENGINES)('concurrent first runs on %s', (engine) => {
  it('lets exactly one of several simultaneous setups win', async () => {
    const t = await createTestApp(engine);
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          t.app.inject({
            method: 'POST',
            url: '/api/v1/setup',
            payload: {
              businessName: `B${i}`,
              template: 'studio',
              admin: { name: 'A', email: `a${i}@example.com`, password: ADMIN_PASSWORD },
            },
          }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
      expect(await countAuditEvents(t.app.services.database.db, 'setup.completed')).toBe(1);
    } finally {
      await t.close();
    }
  });
});
