/**
 * Two-step sign-in (issue 19): an authenticator app's code or a recovery code after the password;
 * required by a setting for accounts holding critical permissions; reset by an admin within reach.
 * Limits hold under real parallel HTTP requests. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentCode } from '../src/server/modules/two-factor/totp.ts';
import { createApiKey, setOverride } from './factories.ts';
import {
  ADMIN_PASSWORD,
  createBusinessApp,
  createStaff,
  ENGINES,
  type Session,
  STAFF_PASSWORD,
  type TestApp,
} from './harness.ts';
import { listenLocal, post } from './net.ts';

type Challenge = {
  secondFactor: { challenge: string; enrol: boolean; enrolment: { secret: string; qrSvg: string } | null };
};

describe.each(ENGINES)('two-step sign-in on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminEmail: string;
  let base: string;

  beforeAll(async () => {
    const b = await createBusinessApp(engine, 'stores');
    ({ t, admin } = b);
    adminEmail = b.email;
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  const code = (secret: string) => currentCode(secret, t.clock.now);
  const nextStep = () => t.clock.advance(30_000);

  /** Turns two-step sign-in on for a signed-in session; answers the secret and the recovery codes. */
  async function enable(s: Session) {
    const setup = await s.inject({ method: 'POST', url: '/api/v1/auth/two-factor/setup' });
    expect(setup.statusCode).toBe(200);
    const { secret, qrSvg, otpauthUri } = setup.json();
    expect(qrSvg).toMatch(/^<svg/);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    const wrong = await s.inject({
      method: 'POST',
      url: '/api/v1/auth/two-factor/confirm',
      payload: { code: '000000' },
    });
    expect(wrong.statusCode).toBe(422);
    const ok = await s.inject({
      method: 'POST',
      url: '/api/v1/auth/two-factor/confirm',
      payload: { code: code(secret) },
    });
    expect(ok.statusCode).toBe(200);
    const recoveryCodes = ok.json().recoveryCodes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    return { secret: secret as string, recoveryCodes };
  }

  const password = (email: string, pw: string) => post<Challenge>(base, '/api/v1/auth/login', { email, password: pw });
  const second = (challenge: string, c: string) =>
    post<{ user?: { email: string }; recoveryCodes?: string[] | null; type?: string; detail?: string }>(
      base,
      '/api/v1/auth/login/second-factor',
      { challenge, code: c },
    );

  it('asks for a code after the right password, accepts each code once and each recovery code once', async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Two Step');
    const { secret, recoveryCodes } = await enable(staff.session);
    const status = await staff.session.inject({ method: 'GET', url: '/api/v1/auth/two-factor' });
    expect(status.json()).toMatchObject({ enabled: true, recoveryCodesLeft: 10, required: false });

    nextStep();
    const first = await password(staff.email, STAFF_PASSWORD);
    expect(first.status).toBe(200);
    expect(first.body.secondFactor.enrol).toBe(false);
    expect(first.body).not.toHaveProperty('csrfToken');
    const c = code(secret);
    const done = await second(first.body.secondFactor.challenge, c);
    expect(done.status).toBe(200);
    expect(done.body.user?.email).toBe(staff.email);
    expect(done.body.recoveryCodes).toBeNull();

    // The same code again, on a new sign-in: refused (a code works once).
    const again = await password(staff.email, STAFF_PASSWORD);
    const replay = await second(again.body.secondFactor.challenge, c);
    expect(replay.status).toBe(401);
    expect(replay.body.type).toMatch(/second-factor-failed/);
    // A recovery code works, with dashes or without, once.
    const rc = recoveryCodes[0] as string;
    expect((await second(again.body.secondFactor.challenge, rc.toUpperCase())).status).toBe(200);
    const third = await password(staff.email, STAFF_PASSWORD);
    expect((await second(third.body.secondFactor.challenge, rc)).status).toBe(401);
    const left = await staff.session.inject({ method: 'GET', url: '/api/v1/auth/two-factor' });
    expect(left.json().recoveryCodesLeft).toBe(9);

    // The audit log says how each sign-in passed its second step.
    const log = await admin.inject({ method: 'GET', url: '/api/v1/audit?action=auth.login&limit=20' });
    const methods = (log.json().items as { after: { secondFactor?: string } | null; outcome: string }[])
      .filter((e) => e.outcome === 'success' && e.after?.secondFactor)
      .map((e) => e.after?.secondFactor);
    expect(methods).toEqual(expect.arrayContaining(['app', 'recovery-code']));
  });

  it('opens one session for 20 parallel requests with the same right code, and allows 5 tries per sign-in', async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Parallel Two Step');
    const { secret } = await enable(staff.session);
    nextStep();
    const first = await password(staff.email, STAFF_PASSWORD);
    const c = code(secret);
    const burst = await Promise.all(Array.from({ length: 20 }, () => second(first.body.secondFactor.challenge, c)));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(1);
    expect(burst.filter((r) => r.status === 500)).toHaveLength(0);

    // 20 parallel guesses on one pending sign-in: at most 5 are checked; the right code after that is refused too.
    nextStep();
    const next = await password(staff.email, STAFF_PASSWORD);
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => second(next.body.secondFactor.challenge, String(100000 + i))),
    );
    expect(guesses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    const checked = guesses.filter((r) => /not right/.test(r.body.detail ?? ''));
    expect(checked.length).toBeLessThanOrEqual(5);
    expect((await second(next.body.secondFactor.challenge, code(secret))).status).toBe(401);
  });

  it('opens one session for 50 parallel requests with one code spread over 5 pending sign-ins, app code and recovery code alike', async () => {
    for (const which of ['app', 'recovery'] as const) {
      const staff = await createStaff(t.app, admin, 'user', `Spread Two Step ${which}`);
      const { secret, recoveryCodes } = await enable(staff.session);
      nextStep();
      // Five pending sign-ins (each holds one of the account's ten places); the same code on all of them.
      const pending = await Promise.all(Array.from({ length: 5 }, () => password(staff.email, STAFF_PASSWORD)));
      const c = which === 'app' ? code(secret) : (recoveryCodes[2] as string);
      const burst = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          second((pending[i % 5] as { body: Challenge }).body.secondFactor.challenge, c),
        ),
      );
      expect(burst.filter((r) => r.status === 200)).toHaveLength(1);
      expect(burst.every((r) => r.status === 200 || r.status === 401 || r.status === 429)).toBe(true);
      const left = await staff.session.inject({ method: 'GET', url: '/api/v1/auth/two-factor' });
      expect(left.json().recoveryCodesLeft).toBe(which === 'app' ? 10 : 9);
    }
  });

  it('locks the account after as many wrong codes as wrong passwords, across pending sign-ins', async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Guesser Target');
    await enable(staff.session);
    let locked = false;
    // loginMaxFailures is 10: each sign-in reserves one place, each wrong code another.
    for (let round = 0; round < 10 && !locked; round++) {
      const p = await password(staff.email, STAFF_PASSWORD);
      if (p.status !== 200) {
        locked = true;
        break;
      }
      for (let i = 0; i < 5; i++) {
        const r = await second(p.body.secondFactor.challenge, '123456');
        if (r.status === 429) locked = true;
      }
    }
    expect(locked).toBe(true);
  });

  it('requires setting up at sign-in for accounts with critical permissions when the setting is on', async () => {
    const settings = await admin.inject({ method: 'GET', url: '/api/v1/settings/security' });
    const current = settings.json() as Record<string, unknown>;
    const put = await admin.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      payload: { ...current, twoFactorForCritical: true },
    });
    expect(put.statusCode).toBe(200);
    try {
      const p = await password(adminEmail, ADMIN_PASSWORD);
      expect(p.status).toBe(200);
      expect(p.body.secondFactor.enrol).toBe(true);
      const enrolment = p.body.secondFactor.enrolment;
      expect(enrolment?.qrSvg).toMatch(/^<svg/);
      const done = await second(p.body.secondFactor.challenge, code(enrolment?.secret ?? ''));
      expect(done.status).toBe(200);
      expect(done.body.recoveryCodes).toHaveLength(10);
      // A user without critical permissions is not asked.
      const plain = await createStaff(t.app, admin, 'user', 'Plain User');
      const q = await password(plain.email, STAFF_PASSWORD);
      expect(q.body).not.toHaveProperty('secondFactor');
      // Turning it off is refused while required (the admin's earlier session is still open).
      nextStep();
      const off = await admin.inject({
        method: 'POST',
        url: '/api/v1/auth/two-factor/disable',
        payload: { code: code(enrolment?.secret ?? '') },
      });
      expect(off.statusCode).toBe(409);
      expect(off.json().detail).toMatch(/required for accounts that hold critical permissions/);
    } finally {
      const undo = await admin.inject({
        method: 'PUT',
        url: '/api/v1/settings/security',
        payload: { ...current, twoFactorForCritical: false },
      });
      expect(undo.statusCode).toBe(200);
    }
  });

  it("lets an admin reset another user's second step within reach, audited; not their own, not someone above them", async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Lost Phone');
    await enable(staff.session);
    const reset = await admin.inject({ method: 'POST', url: `/api/v1/users/${staff.id}/two-factor/reset` });
    expect(reset.statusCode).toBe(200);
    const p = await password(staff.email, STAFF_PASSWORD);
    expect(p.body).not.toHaveProperty('secondFactor');
    expect((await admin.inject({ method: 'POST', url: `/api/v1/users/${staff.id}/two-factor/reset` })).statusCode).toBe(
      409,
    );

    // A superuser holding users.reset_password does not cover an admin: out of reach.
    const supervisor = await createStaff(t.app, admin, 'superuser', 'Reset Supervisor');
    const grant = await admin.inject({
      method: 'PUT',
      url: `/api/v1/users/${supervisor.id}/permissions/users.reset_password`,
      payload: { effect: 'grant', reason: 'front desk resets' },
    });
    expect(grant.statusCode).toBe(200);
    const other = await createStaff(t.app, admin, 'admin', 'Other Admin');
    await enable(other.session);
    const refused = await supervisor.session.inject({
      method: 'POST',
      url: `/api/v1/users/${other.id}/two-factor/reset`,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toMatch(/out-of-reach/);
    // Not one's own through the admin path.
    const me = await admin.inject({ method: 'GET', url: '/api/v1/me' });
    const own = await admin.inject({ method: 'POST', url: `/api/v1/users/${me.json().user.id}/two-factor/reset` });
    expect(own.statusCode).toBe(409);

    const log = await admin.inject({ method: 'GET', url: '/api/v1/audit?action=users.two_factor_reset' });
    expect(log.json().items.map((e: { target: { id: string } }) => e.target.id)).toEqual([staff.id]);
  });

  it("refuses a reset of another user's second step to an own-only users.reset_password grant (404) and to a User granted it against an admin (403)", async () => {
    const victim = await createStaff(t.app, admin, 'user', 'Own Reset Victim');
    await enable(victim.session);
    const ownOnly = await createStaff(t.app, admin, 'user', 'Own Resetter');
    // Users' view first: resetting needs it (issue 19, shared/permissions/requires.ts).
    await setOverride(admin, ownOnly.id, 'users.view', { effect: 'grant' });
    await setOverride(admin, ownOnly.id, 'users.reset_password', { effect: 'grant', scope: 'own' });
    const own = await ownOnly.session.inject({ method: 'POST', url: `/api/v1/users/${victim.id}/two-factor/reset` });
    expect(own.statusCode).toBe(404);

    const delegated = await createStaff(t.app, admin, 'user', 'Delegated Resetter');
    await setOverride(admin, delegated.id, 'users.view', { effect: 'grant' });
    await setOverride(admin, delegated.id, 'users.reset_password', { effect: 'grant' });
    const target = await createStaff(t.app, admin, 'admin', 'Reset Target Admin');
    await enable(target.session);
    const above = await delegated.session.inject({
      method: 'POST',
      url: `/api/v1/users/${target.id}/two-factor/reset`,
    });
    expect(above.statusCode).toBe(403);
    expect(above.json().type).toMatch(/out-of-reach/);

    for (const s of [victim.session, target.session]) {
      expect((await s.inject({ method: 'GET', url: '/api/v1/auth/two-factor' })).json().enabled).toBe(true);
    }
    const log = await admin.inject({ method: 'GET', url: '/api/v1/audit?action=users.two_factor_reset' });
    const targets = log.json().items.map((e: { target: { id: string } }) => e.target.id);
    expect(targets).not.toContain(victim.id);
    expect(targets).not.toContain(target.id);
  });

  it("refuses to set up, confirm, turn off or renew two-step sign-in with an API key (403): a narrow key cannot take over its owner's sign-in", async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Key Holder');
    await setOverride(admin, staff.id, 'security.api_keys', { effect: 'grant', scope: 'own' });
    const { key } = await createApiKey(staff.session, ['inventory.view']);
    const bearer = { authorization: `Bearer ${key}` };
    const setup = await t.app.inject({ method: 'POST', url: '/api/v1/auth/two-factor/setup', headers: bearer });
    expect(setup.statusCode).toBe(403);
    expect(setup.json().detail).toMatch(/signed-in session/);
    // Nothing was started: the owner's own setup is the first.
    const { secret } = await enable(staff.session);
    nextStep();
    for (const url of ['confirm', 'disable', 'recovery-codes']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/auth/two-factor/${url}`,
        headers: bearer,
        payload: { code: code(secret) },
      });
      expect(res.statusCode, url).toBe(403);
    }
    const status = await staff.session.inject({ method: 'GET', url: '/api/v1/auth/two-factor' });
    expect(status.json()).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });
    // Reading the state with a key is harmless and allowed.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/two-factor', headers: bearer })).statusCode).toBe(
      200,
    );
  });

  it('turns off with a code, and renews recovery codes (the old ones stop working)', async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Renewer');
    const { secret, recoveryCodes } = await enable(staff.session);
    nextStep();
    const renew = await staff.session.inject({
      method: 'POST',
      url: '/api/v1/auth/two-factor/recovery-codes',
      payload: { code: code(secret) },
    });
    expect(renew.statusCode).toBe(200);
    const p = await password(staff.email, STAFF_PASSWORD);
    expect((await second(p.body.secondFactor.challenge, recoveryCodes[1] as string)).status).toBe(401);
    nextStep();
    const off = await staff.session.inject({
      method: 'POST',
      url: '/api/v1/auth/two-factor/disable',
      payload: { code: code(secret) },
    });
    expect(off.statusCode).toBe(200);
    expect((await password(staff.email, STAFF_PASSWORD)).body).not.toHaveProperty('secondFactor');
  });
});
