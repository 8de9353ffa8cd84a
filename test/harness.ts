/**
 * Test harness: a fresh app on a fresh database of either engine, and helpers to set up a
 * business and sign in. Route tests run on every engine the global setup provides.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { type BuildOptions, buildApp } from '../src/server/app.ts';
import type { Config, DatabaseConfig } from '../src/server/config.ts';
import { openDatabase } from '../src/server/db/database.ts';

export type Engine = 'sqlite' | 'postgres';

/** Engines this run covers (SQLite always; PostgreSQL when available, mandatory under CI). */
export const ENGINES: Engine[] = inject('engines');

/** A clock tests can move. */
export type TestClock = { now: number; advance(ms: number): void };

export function createClock(start = Date.parse('2026-11-23T10:00:00Z')): TestClock {
  const clock = {
    now: start,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  return clock;
}

/** A fresh, empty (migrated) database of the engine; dropped by the returned cleanup. */
export async function createTestDatabase(
  engine: Engine,
): Promise<{ config: DatabaseConfig; dataDir: string; drop(): Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-test-'));
    return {
      config: { kind: 'sqlite', file: path.join(dir, 'steward.sqlite') },
      dataDir: dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'steward-test-'));
  return {
    config: { kind: 'postgres', url: url.toString() },
    dataDir,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function testConfig(
  database: DatabaseConfig,
  clock: TestClock,
  overrides: Partial<Config> = {},
  dataDir = database.kind === 'sqlite'
    ? path.dirname(database.file)
    : mkdtempSync(path.join(tmpdir(), 'steward-test-')),
): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    database,
    logLevel: 'silent',
    trustProxy: false,
    // Tests hash at a low cost for speed; production is fixed at 12 (config.test.ts checks it).
    bcryptCost: 4,
    audit: {
      keyFile: path.join(dataDir, 'audit-signing-key.pem'),
      checkpointFile: path.join(dataDir, 'audit-checkpoints.jsonl'),
      checkpointMinutes: 0,
    },
    webDist: null,
    now: () => clock.now,
    ...overrides,
  };
}

export type TestApp = {
  app: FastifyInstance;
  engine: Engine;
  clock: TestClock;
  config: Config;
  close(): Promise<void>;
};

export async function createTestApp(
  engine: Engine,
  options: BuildOptions & { config?: Partial<Config>; clock?: TestClock } = {},
): Promise<TestApp> {
  const clock = options.clock ?? createClock();
  const database = await createTestDatabase(engine);
  const config = testConfig(database.config, clock, options.config, database.dataDir);
  const app = await buildApp(config, { verifyResponses: true, ...options, database: openDatabase(database.config) });
  await app.ready();
  return {
    app,
    engine,
    clock,
    config,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export const ADMIN_PASSWORD = 'Correct-Horse-9';

/** First-run setup through the API; returns the admin's credentials. */
export async function setupBusiness(
  app: FastifyInstance,
  template: 'studio' | 'stores' = 'stores',
  extra: Record<string, unknown> = {},
): Promise<{ email: string; password: string; adminId: string }> {
  const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/setup',
    payload: {
      businessName: 'Test Business',
      template,
      admin: { name: 'Ada Admin', email, password: ADMIN_PASSWORD },
      ...extra,
    },
  });
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.statusCode} ${res.body}`);
  return { email, password: ADMIN_PASSWORD, adminId: res.json().adminId };
}

/** A signed-in browser-like client: cookie plus CSRF header on mutations. */
export type Session = {
  cookie: string;
  csrfToken: string;
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
};

export async function login(app: FastifyInstance, email: string, password: string): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return sessionFrom(app, res);
}

export const STAFF_PASSWORD = 'Staff-Passw0rd';

/** Creates a user through the API as `admin`, signs them in and replaces the temporary password. */
export async function createStaff(
  app: FastifyInstance,
  admin: Session,
  roleKey: string,
  name = `Staff ${roleKey}`,
): Promise<{ id: string; email: string; session: Session }> {
  const email = `${roleKey}-${randomUUID().slice(0, 8)}@example.com`;
  const res = await admin.inject({ method: 'POST', url: '/api/v1/users', payload: { email, name, roleKey } });
  if (res.statusCode !== 201) throw new Error(`create user failed: ${res.statusCode} ${res.body}`);
  const { user, temporaryPassword } = res.json() as { user: { id: string }; temporaryPassword: string };
  const first = await login(app, email, temporaryPassword);
  const changed = await first.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    payload: { currentPassword: temporaryPassword, newPassword: STAFF_PASSWORD },
  });
  if (changed.statusCode !== 200) throw new Error(`password change failed: ${changed.statusCode} ${changed.body}`);
  return { id: user.id, email, session: sessionFrom(app, changed) };
}

/** Signs in with a cookie taken from a response that started a new session (elevation, password change). */
export function sessionFrom(app: FastifyInstance, res: LightMyRequestResponse): Session {
  const raw = res.cookies.find((c) => c.name === 'steward_session');
  if (!raw) throw new Error('the response set no session cookie');
  const cookie = `steward_session=${raw.value}`;
  const csrfToken = res.json().csrfToken as string;
  return {
    cookie,
    csrfToken,
    inject: (opts) =>
      app.inject({
        ...opts,
        headers: {
          ...(opts.headers ?? {}),
          cookie,
          ...(opts.method && opts.method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
        },
      }),
  };
}

/**
 * A fresh app with a business set up and its admin signed in: what most suites start from.
 * `options` are those of `createTestApp` (configuration, extra routes or modules, clock).
 */
export async function createBusinessApp(
  engine: Engine,
  template: 'studio' | 'stores' = 'stores',
  options: Parameters<typeof createTestApp>[1] = {},
): Promise<{ t: TestApp; admin: Session; adminId: string; email: string }> {
  const t = await createTestApp(engine, options);
  const a = await setupBusiness(t.app, template);
  return { t, admin: await login(t.app, a.email, ADMIN_PASSWORD), adminId: a.adminId, email: a.email };
}
