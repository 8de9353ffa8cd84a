/**
 * Limits hold under bursts (issue 10: H1, M1, L2; reliability promises 7, 11 and 28), on every
 * engine, with REAL parallel HTTP requests: the app listens on 127.0.0.1, 100 `fetch`es go out
 * at once, and every bcrypt comparison is counted with a spy on the one function that makes
 * them (`PasswordHasher.verify`). Client addresses come from `X-Forwarded-For` (TRUST_PROXY on).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import { LOGIN_FAILED } from '../src/server/modules/auth/auth.service.ts';
import { PasswordHasher } from '../src/server/modules/auth/password.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, STAFF_PASSWORD, type TestApp } from './harness.ts';
import { listenLocal, post as postJson, sessionHeaders } from './net.ts';

const BURST = 100;
// The defaults under test (Settings → Sign-in & keys).
const ACCOUNT_LIMIT = 10;
const LOGIN_ADDRESS_LIMIT = 50;
const CODE_USER_LIMIT = 5;
const CODE_LIMIT = 10;

type Answer = { status: number; body: { type?: string; detail?: string } };
const post = (base: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  postJson<Answer['body']>(base, url, body, headers);

/** A real sign-in from the address `ip`. */
const loginFrom = (base: string, credentials: { email: string; password: string }, ip: string) =>
  post(base, '/api/v1/auth/login', credentials, { 'x-forwarded-for': ip });

/** Every bcrypt comparison of every app in this file (one spy: the file's module is its own). */
const verify = vi.spyOn(PasswordHasher.prototype, 'verify');

const typeOf = (a: Answer) => a.body.type?.replace('urn:steward:problem:', '');

function tally(answers: Answer[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

async function failuresOf(t: TestApp, action: string, why: string, targetId?: string): Promise<number> {
  let q = t.app.services.database.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', '=', action)
    .where('outcome', '=', 'failure')
    .where('after', 'like', `%"why":"${why}"%`);
  if (targetId) q = q.where('target_id', '=', targetId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

describe.each(ENGINES)('limits hold under bursts on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  /** bcrypt comparisons made while `fn` runs. */
  async function compares<T>(fn: () => Promise<T>): Promise<{ result: T; n: number }> {
    const before = verify.mock.calls.length;
    const result = await fn();
    return { result, n: verify.mock.calls.length - before };
  }

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'studio', { config: { trustProxy: true } }));
    base = await listenLocal(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  it(`checks at most ${ACCOUNT_LIMIT} of ${BURST} parallel wrong passwords for one account from one address, then refuses the right one`, async () => {
    const staff = await createStaff(t.app, admin, 'assistant');
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, () =>
          loginFrom(base, { email: staff.email, password: 'Wrong-Horse-71' }, '203.0.113.10'),
        ),
      ),
    );
    expect(n).toBe(ACCOUNT_LIMIT);
    const counts = tally(answers);
    expect(Object.keys(counts).sort()).toEqual(['401', '429']);
    // The first 50 pass the address; of those the account takes 10 to a check, 40 are refused unchecked.
    expect(counts[401]).toBe(LOGIN_ADDRESS_LIMIT);
    expect(answers.filter((a) => a.status === 401).every((a) => a.body.detail === LOGIN_FAILED)).toBe(true);
    expect(await failuresOf(t, 'auth.login', 'wrong-password', staff.id)).toBe(ACCOUNT_LIMIT);
    expect(await failuresOf(t, 'auth.login', 'locked', staff.id)).toBe(LOGIN_ADDRESS_LIMIT - ACCOUNT_LIMIT);
    const lockouts = await t.app.services.database.db
      .selectFrom('audit_events')
      .select('target_id')
      .where('action', '=', 'auth.lockout')
      .execute();
    expect(lockouts.filter((e) => e.target_id === staff.id)).toHaveLength(1);

    // Locked: the right password, from another address, gets the generic answer without a check.
    const { result: right, n: m } = await compares(() =>
      loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '203.0.113.11'),
    );
    expect(right.status).toBe(401);
    expect(right.body.detail).toBe(LOGIN_FAILED);
    expect(m).toBe(0);
    // The lock runs out; the right password then works and the count starts again.
    t.clock.advance(16 * 60_000);
    const later = await loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '203.0.113.12');
    expect(later.status).toBe(200);
  });

  it(`checks at most ${ACCOUNT_LIMIT} of ${BURST} parallel wrong passwords for one account from ${BURST} addresses`, async () => {
    const staff = await createStaff(t.app, admin, 'assistant');
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          loginFrom(base, { email: staff.email, password: 'Wrong-Horse-72' }, `10.20.${i}.${i + 1}`),
        ),
      ),
    );
    expect(n).toBe(ACCOUNT_LIMIT);
    expect(tally(answers)).toEqual({ 401: BURST });
    expect(await failuresOf(t, 'auth.login', 'wrong-password', staff.id)).toBe(ACCOUNT_LIMIT);
    const row = await t.app.services.database.db
      .selectFrom('users')
      .select(['locked_until', 'failed_logins'])
      .where('id', '=', staff.id)
      .executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
    expect(row.failed_logins).toBe(ACCOUNT_LIMIT);
    const right = await loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '10.30.0.1');
    expect(right.status).toBe(401);
    expect(right.body.detail).toBe(LOGIN_FAILED);
  });

  it(`checks at most ${LOGIN_ADDRESS_LIMIT} of ${BURST} parallel sign-ins from one address, across accounts`, async () => {
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          loginFrom(base, { email: `nobody-${i}@example.com`, password: 'Wrong-Horse-73' }, '198.51.100.77'),
        ),
      ),
    );
    expect(n).toBe(LOGIN_ADDRESS_LIMIT);
    expect(tally(answers)).toEqual({ 401: LOGIN_ADDRESS_LIMIT, 429: BURST - LOGIN_ADDRESS_LIMIT });
    // The address is throttled, even for a real account with its right password.
    const staff = await createStaff(t.app, admin, 'assistant');
    const blocked = await loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '198.51.100.77');
    expect(blocked.status).toBe(429);
    const elsewhere = await loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '198.51.100.78');
    expect(elsewhere.status).toBe(200);
  });

  it(`checks at most ${ACCOUNT_LIMIT} of ${BURST} parallel wrong current passwords on a password change, then locks the account`, async () => {
    const staff = await createStaff(t.app, admin, 'assistant');
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          post(
            base,
            '/api/v1/auth/password',
            { currentPassword: `Wrong-Current-${i}`, newPassword: 'Brand-New-Pass-5' },
            sessionHeaders(staff.session, '192.0.2.90'),
          ),
        ),
      ),
    );
    expect(n).toBe(ACCOUNT_LIMIT);
    expect(tally(answers)).toEqual({ 422: ACCOUNT_LIMIT, 429: BURST - ACCOUNT_LIMIT });
    const right = await post(
      base,
      '/api/v1/auth/password',
      { currentPassword: STAFF_PASSWORD, newPassword: 'Brand-New-Pass-5' },
      sessionHeaders(staff.session, '192.0.2.90'),
    );
    expect(right.status).toBe(429);
    const signIn = await loginFrom(base, { email: staff.email, password: STAFF_PASSWORD }, '192.0.2.91');
    expect(signIn.status).toBe(401);
  });

  async function rotate(): Promise<{ code: string; wrong: string }> {
    const res = await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' });
    expect(res.statusCode).toBe(200);
    const code = res.json().code as string;
    return { code, wrong: code === '00000000' ? '11111111' : '00000000' };
  }

  async function codeRow() {
    return t.app.services.database.db
      .selectFrom('master_codes')
      .select(['failures', 'disabled_at'])
      .where('retired_at', 'is', null)
      .executeTakeFirstOrThrow();
  }

  it(`checks at most ${CODE_USER_LIMIT} of ${BURST} parallel wrong master codes from one user at one address`, async () => {
    const { code, wrong } = await rotate();
    const assistant = await createStaff(t.app, admin, 'assistant');
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, () =>
          post(base, '/api/v1/auth/elevate', { code: wrong }, sessionHeaders(assistant.session, '192.0.2.30')),
        ),
      ),
    );
    expect(n).toBe(CODE_USER_LIMIT);
    expect(tally(answers)).toEqual({ 422: CODE_USER_LIMIT, 429: BURST - CODE_USER_LIMIT });
    expect(await failuresOf(t, 'auth.elevate', 'wrong-code')).toBeGreaterThanOrEqual(CODE_USER_LIMIT);
    expect((await codeRow()).failures).toBe(CODE_USER_LIMIT);
    // This user waits, even with the right code and from another address.
    const right = await post(base, '/api/v1/auth/elevate', { code }, sessionHeaders(assistant.session, '192.0.2.31'));
    expect(right.status).toBe(429);
  });

  it(`checks at most ${CODE_LIMIT} of ${BURST} parallel wrong master codes from many users and addresses; the right code is then refused`, async () => {
    const { code, wrong } = await rotate();
    const users = await Promise.all(Array.from({ length: 20 }, () => createStaff(t.app, admin, 'assistant')));
    const { result: answers, n } = await compares(() =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) => {
          const who = users[i % users.length] as { session: Session };
          return post(base, '/api/v1/auth/elevate', { code: wrong }, sessionHeaders(who.session, `10.40.${i}.1`));
        }),
      ),
    );
    expect(n).toBe(CODE_LIMIT);
    const counts = tally(answers);
    // Ten checked ("not correct", or "disabled" for the one that disables the code, unless an
    // attempt refused at the limit disabled it first); the rest refused unchecked as disabled.
    expect(Object.keys(counts).sort()).toEqual(['403', '422']);
    expect(counts[422]).toBeGreaterThanOrEqual(CODE_LIMIT - 1);
    expect(counts[422]).toBeLessThanOrEqual(CODE_LIMIT);
    const row = await codeRow();
    expect(row.disabled_at).not.toBeNull();
    expect(row.failures).toBe(CODE_LIMIT);
    expect(await countAuditEvents(t.app.services.database.db, 'security.master_code.disabled')).toBeGreaterThanOrEqual(
      1,
    );
    // A fresh user, from a fresh address, with the right code: refused, without a check.
    const fresh = await createStaff(t.app, admin, 'assistant');
    const { result: right, n: m } = await compares(() =>
      post(base, '/api/v1/auth/elevate', { code }, sessionHeaders(fresh.session, '10.50.0.1')),
    );
    expect(right.status).toBe(403);
    expect(typeOf(right)).toBe('master-code-disabled');
    expect(m).toBe(0);
    const status = (await admin.inject({ method: 'GET', url: '/api/v1/security/master-code' })).json();
    expect(status.disabledAt).not.toBeNull();
  });

  it('refuses the master code to users with nothing to elevate, without counting their entries (L2)', async () => {
    const { code, wrong } = await rotate();
    // The admin holds every permission outright: nothing of theirs waits for the code.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(base, '/api/v1/auth/elevate', { code: i === 0 ? code : wrong }, sessionHeaders(admin, `10.60.${i}.1`)),
      ),
    );
    expect(tally(answers)).toEqual({ 403: 30 });
    expect(answers[0]?.body.detail).toMatch(/nothing to unlock/);
    expect(await codeRow()).toEqual({ failures: 0, disabled_at: null });
    // The code still works for those who need it.
    const assistant = await createStaff(t.app, admin, 'assistant');
    const ok = await post(base, '/api/v1/auth/elevate', { code }, sessionHeaders(assistant.session, '10.61.0.1'));
    expect(ok.status).toBe(200);
  });
});

// Several instances share one PostgreSQL database (one SQLite data directory serves one server).
describe.each(ENGINES.filter((e) => e === 'postgres'))(
  'limits hold across two server instances on one %s database',
  (engine) => {
    let t: TestApp;
    let other: FastifyInstance;
    let bases: string[];
    let admin: Session;
    beforeAll(async () => {
      ({ t, admin } = await createBusinessApp(engine, 'studio', { config: { trustProxy: true } }));
      other = await buildApp(t.config, { database: openDatabase(t.config.database), migrate: false });
      await other.ready();
      bases = [await listenLocal(t.app), await listenLocal(other)];
    });
    afterAll(async () => {
      await other.close();
      await t.close();
    });

    it(`checks at most ${ACCOUNT_LIMIT} passwords and ${CODE_LIMIT} codes of ${BURST} parallel attempts split over both instances`, async () => {
      const staff = await createStaff(t.app, admin, 'assistant');
      let before = verify.mock.calls.length;
      const logins = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          loginFrom(bases[i % 2] as string, { email: staff.email, password: 'Wrong-Horse-74' }, `10.70.${i}.1`),
        ),
      );
      expect(verify.mock.calls.length - before).toBe(ACCOUNT_LIMIT);
      expect(tally(logins)).toEqual({ 401: BURST });

      const rotated = await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' });
      const code = rotated.json().code as string;
      const wrong = code === '00000000' ? '11111111' : '00000000';
      const users = await Promise.all(Array.from({ length: 20 }, () => createStaff(t.app, admin, 'assistant')));
      before = verify.mock.calls.length;
      await Promise.all(
        Array.from({ length: BURST }, (_, i) => {
          const who = users[i % users.length] as { session: Session };
          return post(
            bases[i % 2] as string,
            '/api/v1/auth/elevate',
            { code: wrong },
            sessionHeaders(who.session, `10.80.${i}.1`),
          );
        }),
      );
      expect(verify.mock.calls.length - before).toBe(CODE_LIMIT);
      const fresh = await createStaff(t.app, admin, 'assistant');
      const right = await post(
        bases[1] as string,
        '/api/v1/auth/elevate',
        { code },
        sessionHeaders(fresh.session, '10.90.0.1'),
      );
      expect(right.status).toBe(403);
      expect(typeOf(right)).toBe('master-code-disabled');
    });
  },
);

describe.each(ENGINES)('second-admin approvals under a burst on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it(`decides a pending critical grant exactly once under ${BURST} parallel approvals and rejections`, async () => {
    // Admins are appointed before the rule is switched on (with it on, a role carrying critical
    // permissions cannot be assigned; see the reach tests).
    const approvers = await Promise.all([1, 2].map((i) => createStaff(t.app, admin, 'admin', `Approver ${i}`)));
    const settings = (await admin.inject({ method: 'GET', url: '/api/v1/settings/security' })).json();
    await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...settings, criticalGrantsNeedApproval: true },
    });
    const u = await createStaff(t.app, admin, 'superuser');
    const req = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${u.id}/permissions/backup.restore`,
      payload: { effect: 'grant', reason: 'restore drill' },
    });
    expect(req.statusCode).toBe(202);
    const id = req.json().requestId as string;
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => {
        const who = (approvers[i % 2] as { session: Session }).session;
        const verb = i % 3 === 0 ? 'reject' : 'approve';
        return post(base, `/api/v1/permission-requests/${id}/${verb}`, {}, sessionHeaders(who, '127.0.0.1'));
      }),
    );
    expect(tally(answers)).toEqual({ 200: 1, 409: BURST - 1 });
    const db = t.app.services.database.db;
    const decisions = await db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['permissions.grant_approved', 'permissions.grant_rejected'])
      .execute();
    expect(decisions).toHaveLength(1);
    const overrides = await db
      .selectFrom('user_overrides')
      .selectAll()
      .where('user_id', '=', u.id)
      .where('permission', '=', 'backup.restore')
      .execute();
    expect(overrides).toHaveLength(decisions[0]?.action === 'permissions.grant_approved' ? 1 : 0);
  });
});

describe('refusals on a freshly started server', () => {
  it('computes no password comparison for 50 parallel refusals before any comparison was timed', async () => {
    // A fresh instance (the second server above) has timed no comparison yet: each refusal used
    // to time one of its own through verify, so a burst checked more than the limit.
    const fresh = new PasswordHasher(4);
    const before = verify.mock.calls.length;
    const started = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => fresh.pause()));
    expect(verify.mock.calls.length - before).toBe(0);
    expect(performance.now() - started).toBeGreaterThan(0);
    // Later refusals wait the timed duration; a real check still counts.
    await fresh.pause();
    expect(await fresh.verify('Wrong-Horse-1', null)).toBe(false);
    expect(verify.mock.calls.length - before).toBe(1);
  });
});
