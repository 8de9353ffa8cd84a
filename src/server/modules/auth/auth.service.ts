import { createHash, randomBytes } from 'node:crypto';
import { parseCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { API_KEY_PATTERN } from '../../../shared/api-keys.ts';
import type { Me, SessionInfo } from '../../../shared/contracts/auth.ts';
import { SECOND_FACTOR_WRONG, type SecondFactorChallenge } from '../../../shared/contracts/two-factor.ts';
import type { Actor } from '../../http/actor.ts';
import {
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  unlessDiskFull,
  ValidationError,
} from '../../http/errors.ts';
import type { Scope } from '../../http/scope.ts';
import { type AnyContext, asActor, type Context, inTransaction, type TxContext } from '../context.ts';
import type { Core } from '../module.ts';
import { lockAccessChanges, requireReach } from '../permissions/guard-rails.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { SecurityService } from '../security/security.service.ts';
import {
  type Business,
  getSettings,
  SETTING,
  type SecuritySettings,
  securityFrom,
} from '../settings/settings.service.ts';
import { SecondFactorError, type TwoFactorService } from '../two-factor/two-factor.service.ts';
import {
  countUsers,
  endSession,
  endUserSessions,
  findOpenSessionByHandle,
  findSession,
  findUserByEmail,
  findUserById,
  insertSession,
  insertUser,
  listOpenSessions,
  lockLoginIfFull,
  type NewUser,
  recordLoginSuccess,
  reserveLoginAttempt,
  setPassword,
  setSessionElevation,
  touchSession,
  userInScope,
} from './auth.repository.ts';
import { assertPasswordAcceptable } from './password.ts';

export const SESSION_COOKIE = 'steward_session';

/** The one answer to every failed login, whatever the cause (no account enumeration). */
export const LOGIN_FAILED = 'The email or password is incorrect, or the account cannot sign in right now.';

/** Sessions are looked up by the SHA-256 of their token; the token itself is never stored. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const TOUCH_EVERY_MS = 60_000;

/** Built on the core and the security module (throttles, the master code, API keys); security never uses auth. */
type Deps = Pick<Core, 'database' | 'roles' | 'audit' | 'hasher' | 'now'> & {
  security: SecurityService;
  twoFactor: TwoFactorService;
};

/** A principal before the guard has checked the route's permission. */
export type Principal = Omit<Actor, 'routeAccess'>;

/** A new session: the cookie to set and the user's profile with its CSRF token. */
export type SessionResult = { token: string; maxAgeSeconds: number; me: Me };

type UserRow = {
  id: string;
  email: string;
  name: string;
  role_key: string;
  artist_id: string | null;
  active: number;
  must_change_password: number;
};

export class AuthService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(ms = this.deps.now()): string {
    return new Date(ms).toISOString();
  }

  /**
   * Verifies the credentials and opens a new session (a new id at every login).
   *
   * Limits hold under bursts: the address and the account each reserve a place under their
   * limit in one transaction *before* bcrypt runs. An attempt past either limit is refused
   * without a comparison (the account one after a pause as long as a comparison, with the same
   * generic answer), so N parallel wrong passwords check at most the limit.
   */
  async login(ctx: AnyContext, email: string, password: string): Promise<SessionResult | SecondFactorChallenge> {
    const { security: throttles } = this.deps;
    const anon = asActor(ctx, null);
    const security = await throttles.settings(anon);
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const addressKey = `login-ip:${ctx.request?.ip ?? 'unknown'}`;
    const lockMs = security.loginLockMinutes * 60_000;
    const addressRule = { max: security.loginAddressMaxFailures, windowMs: lockMs, lockMs };
    const failure = (tx: TxContext<null>, userId: string | null, why: string) =>
      this.deps.audit.record(tx, {
        action: 'auth.login',
        outcome: 'failure',
        actor: { userId, label: email },
        target: userId ? { type: 'user', id: userId } : null,
        after: { why },
      });
    const gate = await inTransaction(anon, async (tx) => {
      if (!(await throttles.reserveAttempt(tx, addressKey, addressRule, now))) {
        await throttles.lockIfFull(tx, addressKey, addressRule, now);
        await failure(tx, null, 'address-throttled');
        return { open: false as const, user: undefined };
      }
      const user = await findUserByEmail(tx.db, email);
      const open = user ? await reserveLoginAttempt(tx.db, user.id, security.loginMaxFailures, nowIso) : true;
      return { open, user };
    });
    const { user } = gate;
    if (!gate.open && !user) {
      const wait = Math.max(await throttles.lockedFor(anon, addressKey, now), 60);
      throw new TooManyRequestsError(
        `Too many failed sign-ins from this address. Try again in ${Math.ceil(wait / 60)} minutes.`,
        wait,
      );
    }
    // One bcrypt comparison when the attempt holds a place (known account or not); a refused
    // attempt waits as long without computing one.
    let passwordOk = false;
    if (gate.open) passwordOk = await this.deps.hasher.verify(password, user?.password_hash ?? null);
    else await this.deps.hasher.pause();
    if (!user || !passwordOk || user.active !== 1) {
      await inTransaction(anon, async (tx) => {
        let lockedNow: number | null = null;
        if (user) {
          const until = this.iso(now + lockMs);
          lockedNow = await lockLoginIfFull(tx.db, user.id, security.loginMaxFailures, until, nowIso);
        }
        await throttles.lockIfFull(tx, addressKey, addressRule, now);
        const why = !user
          ? 'unknown-email'
          : !gate.open
            ? 'locked'
            : user.active !== 1
              ? 'deactivated'
              : 'wrong-password';
        await failure(tx, user?.id ?? null, why);
        if (lockedNow !== null && user) {
          await this.deps.audit.record(tx, {
            action: 'auth.lockout',
            outcome: 'failure',
            actor: { userId: user.id, label: email },
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: lockedNow },
          });
        }
      });
      throw new UnauthorizedError(LOGIN_FAILED);
    }

    const signedIn = await inTransaction(anon, async (tx) => {
      // A right password with a second step to come: no session yet. The account's reserved
      // failure stays counted until the second step passes, so wrong codes lock it as wrong
      // passwords do.
      const pending = await this.deps.twoFactor.challengeFor(tx.db, user);
      if (pending) {
        await throttles.releaseAttempt(tx, addressKey);
        return { pending };
      }
      const opened = await this.openSession(tx, user.id, security);
      await recordLoginSuccess(tx.db, user.id, this.iso(now));
      await throttles.releaseAttempt(tx, addressKey);
      await this.deps.audit.record(tx, {
        action: 'auth.login',
        actor: { userId: user.id, label: user.email },
        target: { type: 'user', id: user.id },
      });
      return { opened };
    });
    return signedIn.pending ? this.deps.twoFactor.answer(signedIn.pending) : signedIn.opened;
  }

  /**
   * The second step of a sign-in: a code from the app or a recovery code (or, while setting up, the
   * first code of the new app). Each try is reserved on the pending sign-in and counted on the
   * account before the code is checked, so parallel guesses get no more tries than sequential ones
   * and wrong codes lock the account like wrong passwords. One session opens per pending sign-in.
   */
  async loginSecondFactor(
    ctx: AnyContext,
    token: string,
    code: string,
  ): Promise<SessionResult & { recoveryCodes: string[] | null }> {
    const anon = asActor(ctx, null);
    const security = await this.deps.security.settings(anon);
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const outcome = await inTransaction(anon, async (tx) => {
      const challenge = await this.deps.twoFactor.reserveTry(tx.db, token);
      const user = await findUserById(tx.db, challenge.user_id);
      const failure = (why: string) =>
        this.deps.audit.record(tx, {
          action: 'auth.login',
          outcome: 'failure',
          actor: { userId: challenge.user_id, label: user?.email ?? null },
          target: { type: 'user', id: challenge.user_id },
          after: { why },
        });
      if (user?.active !== 1) {
        await failure('deactivated');
        return { failed: 'deactivated' as const };
      }
      if (!(await reserveLoginAttempt(tx.db, user.id, security.loginMaxFailures, nowIso))) {
        await failure('locked');
        return { failed: 'locked' as const };
      }
      const passed = await this.deps.twoFactor.check(tx.db, challenge, code);
      if (!passed) {
        const until = this.iso(now + security.loginLockMinutes * 60_000);
        const lockedNow = await lockLoginIfFull(tx.db, user.id, security.loginMaxFailures, until, nowIso);
        await failure('wrong-second-factor');
        if (lockedNow !== null) {
          await this.deps.audit.record(tx, {
            action: 'auth.lockout',
            outcome: 'failure',
            actor: { userId: user.id, label: user.email },
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: lockedNow },
          });
        }
        return { failed: 'wrong-code' as const };
      }
      await this.deps.twoFactor.finish(tx.db, challenge.id);
      const opened = await this.openSession(tx, user.id, security);
      await recordLoginSuccess(tx.db, user.id, nowIso);
      await this.deps.audit.record(tx, {
        action: 'auth.login',
        actor: { userId: user.id, label: user.email },
        target: { type: 'user', id: user.id },
        after: { secondFactor: passed.method },
      });
      return { ...opened, recoveryCodes: passed.recoveryCodes };
    });
    if ('failed' in outcome) {
      if (outcome.failed === 'locked') {
        throw new TooManyRequestsError(
          `Too many wrong codes or passwords: this account is locked for ${security.loginLockMinutes} minutes.`,
          security.loginLockMinutes * 60,
        );
      }
      if (outcome.failed === 'deactivated') throw new UnauthorizedError(LOGIN_FAILED);
      throw new SecondFactorError(SECOND_FACTOR_WRONG);
    }
    return outcome;
  }

  /** Inserts a session and builds its result (inside the caller's transaction). */
  private async openSession(
    tx: TxContext<Actor | null>,
    userId: string,
    security: SecuritySettings,
    elevatedUntil: number | null = null,
  ): Promise<SessionResult> {
    const now = this.deps.now();
    const token = randomBytes(32).toString('base64url');
    const maxAgeSeconds = security.sessionAbsoluteHours * 3600;
    await insertSession(tx.db, {
      id: sessionIdOf(token),
      handle: randomBytes(12).toString('base64url'),
      userId,
      csrfToken: randomBytes(32).toString('base64url'),
      now: this.iso(now),
      expiresAt: this.iso(now + maxAgeSeconds * 1000),
      elevatedUntil: elevatedUntil === null ? null : this.iso(elevatedUntil),
      ip: tx.request?.ip ?? null,
      userAgent: tx.request?.userAgent ?? null,
    });
    const principal = await this.principalForSession(tx, sessionIdOf(token));
    if (!principal) throw new UnauthorizedError(LOGIN_FAILED);
    return { token, maxAgeSeconds, me: await this.profile(tx, principal) };
  }

  /**
   * The principal behind the request: an API key in `Authorization: Bearer`, else the session
   * cookie. Null when there is none that is alive.
   */
  async authenticate(ctx: AnyContext, request: FastifyRequest): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!key || !API_KEY_PATTERN.test(key)) {
        throw new UnauthorizedError('The Authorization header must be "Bearer" followed by a Steward API key.');
      }
      return this.principalForApiKey(ctx, key);
    }
    const cookies = request.headers.cookie;
    if (cookies === undefined) return null;
    const token = parseCookie(cookies)[SESSION_COOKIE];
    if (!token || token.length > 100) return null;
    return this.principalForSession(ctx, sessionIdOf(token));
  }

  private userOf(row: UserRow): Principal['user'] {
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      roleKey: row.role_key,
      artistId: row.artist_id,
      mustChangePassword: row.must_change_password === 1,
    };
  }

  private async principalForSession(ctx: AnyContext, sessionId: string): Promise<Principal | null> {
    const { db } = ctx;
    const row = await findSession(db, sessionId);
    if (!row || row.ended_at !== null || row.active !== 1) return null;
    const now = this.deps.now();
    // The security settings, the roles version and the modules switched on in one read.
    const settings = await getSettings(db, [SETTING.security, SETTING.rolesVersion, SETTING.modules]);
    const security = securityFrom(settings.get(SETTING.security));
    if (Date.parse(row.expires_at) <= now) return null;
    const lastSeen = Date.parse(row.last_seen_at);
    if (now - lastSeen > security.sessionIdleMinutes * 60_000) return null;
    if (now - lastSeen > TOUCH_EVERY_MS) await unlessDiskFull(touchSession(db, row.session_id, this.iso(now)));
    const elevatedUntil = row.elevated_until ? Date.parse(row.elevated_until) : null;
    return {
      user: this.userOf(row),
      subject: await loadSubject(db, row, elevatedUntil, null),
      session: { id: row.session_id, handle: row.handle ?? '', csrfToken: row.csrf_token, elevatedUntil },
      apiKey: null,
      rolesVersion: Number(settings.get(SETTING.rolesVersion) ?? 0),
      modules: (settings.get(SETTING.modules) as string[] | undefined) ?? [],
      elevated: elevatedUntil !== null && elevatedUntil > now,
    };
  }

  private async principalForApiKey(ctx: AnyContext, key: string): Promise<Principal | null> {
    const row = await this.deps.security.apiKeyHolder(ctx, key);
    if (!row) return null;
    const permissions = new Set(JSON.parse(row.key_permissions) as string[]);
    const settings = await getSettings(ctx.db, [SETTING.rolesVersion, SETTING.modules]);
    const rolesVersion = Number(settings.get(SETTING.rolesVersion) ?? 0);
    return {
      user: this.userOf(row),
      // Never elevated: a key carries no session and no master code.
      subject: await loadSubject(ctx.db, row, null, permissions),
      session: null,
      apiKey: { id: row.key_id, name: row.key_name },
      rolesVersion,
      modules: (settings.get(SETTING.modules) as string[] | undefined) ?? [],
      elevated: false,
    };
  }

  async logout(ctx: Context): Promise<void> {
    const session = ctx.actor.session;
    if (!session) return;
    await inTransaction(ctx, async (tx) => {
      await endSession(tx.db, session.id, this.iso());
      await this.deps.audit.record(tx, { action: 'auth.logout', target: { type: 'user', id: ctx.actor.user.id } });
    });
  }

  /**
   * Master-code elevation of this session: checked against the current code's hash; throttled
   * per user, per address and per code. Success replaces the session (a new id) with one
   * elevated for the configured minutes, not extended by activity.
   *
   * Limits hold under bursts: the user, the address and the code each reserve a place under
   * their limit in one transaction before bcrypt runs; an attempt past any limit is refused
   * without a comparison and counts nowhere. A right code is accepted only while the code is
   * still live, so nothing elevates once a burst has disabled it.
   */
  async elevate(ctx: Context, code: string): Promise<SessionResult> {
    const { actor } = ctx;
    const { security: codes } = this.deps;
    const session = actor.session;
    if (!session) throw new ForbiddenError('API keys cannot be elevated; sign in and enter the master code.');
    const engine = await this.deps.roles.engineAt(actor.rolesVersion, ctx.db);
    if (!engine.effective(actor.subject).some((e) => e.elevatable)) {
      // Nothing to unlock: such users may not spend the code's limited wrong entries.
      throw new ForbiddenError(
        'None of your permissions needs the master code, so there is nothing to unlock. Ask an admin if you expected one.',
      );
    }
    const security = await codes.settings(ctx);
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const userKey = `elevate-user:${actor.user.id}`;
    const addressKey = `elevate-ip:${ctx.request?.ip ?? 'unknown'}`;
    const lockMs = security.loginLockMinutes * 60_000;
    const userRule = { max: security.elevationMaxFailuresPerUser, windowMs: lockMs, lockMs };
    const addressRule = { max: security.elevationMaxFailuresPerAddress, windowMs: lockMs, lockMs };
    const codeMax = security.masterCodeMaxFailures;
    const failure = (tx: TxContext, why: string, extra: Record<string, unknown> = {}) =>
      this.deps.audit.record(tx, {
        action: 'auth.elevate',
        outcome: 'failure',
        target: { type: 'session', id: session.handle },
        after: { why, ...extra },
      });
    const disabledEvent = (tx: TxContext, codeId: string, failures: number) =>
      this.deps.audit.record(tx, {
        action: 'security.master_code.disabled',
        outcome: 'failure',
        target: { type: 'master_code', id: codeId },
        after: { failures },
      });
    type Gate =
      | { kind: 'open'; codeId: string; codeHash: string }
      | { kind: 'throttled' }
      | { kind: 'no-code' }
      | { kind: 'disabled' };
    const gate = await inTransaction(ctx, async (tx): Promise<Gate> => {
      const current = await codes.currentMasterCode(tx);
      if (!current) {
        await failure(tx, 'no-code');
        return { kind: 'no-code' };
      }
      if (current.disabled_at !== null) {
        await failure(tx, 'code-disabled');
        return { kind: 'disabled' };
      }
      if (!(await codes.reserveAttempt(tx, userKey, userRule, now))) {
        await codes.lockIfFull(tx, userKey, userRule, now);
        await failure(tx, 'throttled');
        return { kind: 'throttled' };
      }
      if (!(await codes.reserveAttempt(tx, addressKey, addressRule, now))) {
        await codes.releaseAttempt(tx, userKey);
        await codes.lockIfFull(tx, addressKey, addressRule, now);
        await failure(tx, 'throttled');
        return { kind: 'throttled' };
      }
      if (!(await codes.reserveMasterCodeAttempt(tx, current.id, codeMax))) {
        await codes.releaseAttempt(tx, userKey);
        await codes.releaseAttempt(tx, addressKey);
        // At the limit: the code is disabled now if the entries that reached it have not done so yet.
        if (await codes.disableMasterCodeIfFull(tx, current.id, codeMax, now)) {
          await disabledEvent(tx, current.id, await codes.masterCodeFailures(tx, current.id));
        }
        await failure(tx, 'code-disabled');
        return { kind: 'disabled' };
      }
      return { kind: 'open', codeId: current.id, codeHash: current.code_hash };
    });
    if (gate.kind === 'no-code') {
      throw new ConflictError('No master code has been set yet. An admin sets one in Settings → Sign-in & keys.');
    }
    if (gate.kind === 'disabled') throw masterCodeDisabled();
    if (gate.kind === 'throttled') {
      const wait = Math.max(await codes.lockedFor(ctx, userKey, now), await codes.lockedFor(ctx, addressKey, now), 60);
      throw new TooManyRequestsError(
        `Too many wrong master codes. Try again in ${Math.ceil(wait / 60)} minutes.`,
        wait,
      );
    }
    const ok = await this.deps.hasher.verify(code, gate.codeHash);
    if (!ok) {
      const disabledNow = await inTransaction(ctx, async (tx) => {
        await codes.lockIfFull(tx, userKey, userRule, now);
        await codes.lockIfFull(tx, addressKey, addressRule, now);
        const failures = await codes.masterCodeFailures(tx, gate.codeId);
        await failure(tx, 'wrong-code', { codeFailures: failures });
        if (!(await codes.disableMasterCodeIfFull(tx, gate.codeId, codeMax, now))) return false;
        await disabledEvent(tx, gate.codeId, failures);
        return true;
      });
      if (disabledNow) throw masterCodeDisabled();
      throw new ValidationError('The master code is not correct.', [
        { path: 'code', message: 'The master code is not correct.' },
      ]);
    }
    const until = now + security.elevationMinutes * 60_000;
    const opened = await inTransaction(ctx, async (tx) => {
      // Right, but disabled (or rotated) while it was being checked: nothing elevates.
      if (!(await codes.acceptMasterCode(tx, gate.codeId))) {
        await failure(tx, 'code-disabled');
        return null;
      }
      await endSession(tx.db, session.id, nowIso);
      const result = await this.openSession(tx, actor.user.id, security, until);
      await codes.clearFailures(tx, userKey);
      await codes.releaseAttempt(tx, addressKey);
      await this.deps.audit.record(tx, {
        action: 'auth.elevate',
        actor: { userId: actor.user.id, label: actor.user.email, elevated: true },
        target: { type: 'session', id: result.me.session?.handle ?? null },
        after: { until: this.iso(until), minutes: security.elevationMinutes },
      });
      return result;
    });
    if (!opened) throw masterCodeDisabled();
    return opened;
  }

  /** Ends this session's elevation early. */
  async endElevation(ctx: Context): Promise<void> {
    const session = ctx.actor.session;
    if (!session) return;
    await inTransaction(ctx, async (tx) => {
      await setSessionElevation(tx.db, session.id, null);
      await this.deps.audit.record(tx, { action: 'auth.elevate_end', target: { type: 'session', id: session.handle } });
    });
  }

  /** Changes the signed-in user's password; ends every session of theirs and opens a new one. */
  async changePassword(ctx: Context, current: string, next: string): Promise<SessionResult> {
    const { actor } = ctx;
    if (!actor.session) throw new ForbiddenError('Change passwords from a signed-in session, not with an API key.');
    const security = await this.deps.security.settings(ctx);
    // The new password's own checks first: they need no comparison.
    assertPasswordAcceptable(next, security.passwordPolicy, 'newPassword');
    if (next === current) {
      throw new ValidationError('Choose a new password that differs from the current one.', [
        { path: 'newPassword', message: 'Choose a password that differs from the current one.' },
      ]);
    }
    // The current password is guessed against the account's sign-in limit, reserved before bcrypt:
    // a stolen session cannot try more passwords than the sign-in page allows. The hash compared
    // is the one read in the transaction that reserved the attempt.
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const lockMs = security.loginLockMinutes * 60_000;
    const { user, open } = await inTransaction(ctx, async (tx) => {
      const user = await findUserById(tx.db, actor.user.id);
      if (!user) throw new UnauthorizedError();
      return { user, open: await reserveLoginAttempt(tx.db, user.id, security.loginMaxFailures, nowIso) };
    });
    let ok = false;
    if (open) ok = await this.deps.hasher.verify(current, user.password_hash);
    else await this.deps.hasher.pause();
    if (!ok) {
      await inTransaction(ctx, async (tx) => {
        const lockedNow = await lockLoginIfFull(
          tx.db,
          user.id,
          security.loginMaxFailures,
          this.iso(now + lockMs),
          nowIso,
        );
        await this.deps.audit.record(tx, {
          action: 'auth.password_change',
          outcome: 'failure',
          target: { type: 'user', id: user.id },
          after: { why: open ? 'wrong-current-password' : 'locked' },
        });
        if (lockedNow !== null) {
          await this.deps.audit.record(tx, {
            action: 'auth.lockout',
            outcome: 'failure',
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: lockedNow },
          });
        }
      });
      if (!open) {
        throw new TooManyRequestsError(
          `Too many wrong passwords: the account is locked for ${security.loginLockMinutes} minutes.`,
          lockMs / 1000,
        );
      }
      throw new ValidationError('The current password is not correct.', [
        { path: 'currentPassword', message: 'The current password is not correct.' },
      ]);
    }
    const hash = await this.deps.hasher.hash(next);
    return inTransaction(ctx, async (tx) => {
      const now = this.iso();
      await setPassword(tx.db, user.id, hash, false, now);
      const ended = await endUserSessions(tx.db, user.id, now);
      const apiAccessRevoked = await this.deps.security.revokeUserApiKeys(tx, user.id, user.id);
      const opened = await this.openSession(tx, user.id, security);
      await this.deps.audit.record(tx, {
        action: 'auth.password_change',
        target: { type: 'user', id: user.id },
        after: { sessionsEnded: ended, apiAccessRevoked },
      });
      return opened;
    });
  }

  /**
   * The open sessions of a user within the scope (404 for a user outside it), newest activity
   * first. Another user's list needs reach, like ending them: it shows their addresses and the
   * handles that end their sessions.
   */
  async sessions(
    ctx: Context,
    scope: Scope<'user'>,
    userId: string,
    currentHandle: string | null,
  ): Promise<SessionInfo[]> {
    const { db } = ctx;
    if (!(await userInScope(db, scope, userId))) throw new NotFoundError('There is no user with that id.');
    await requireReach(db, this.deps.roles, ctx.actor, userId);
    const security = await this.deps.security.settings(ctx);
    const now = this.deps.now();
    const rows = await listOpenSessions(db, userId, this.iso(now));
    return rows
      .filter((r) => now - Date.parse(r.last_seen_at) <= security.sessionIdleMinutes * 60_000)
      .map((r) => ({
        id: r.handle ?? '',
        createdAt: r.created_at,
        lastSeenAt: r.last_seen_at,
        expiresAt: r.expires_at,
        elevatedUntil: r.elevated_until && Date.parse(r.elevated_until) > now ? r.elevated_until : null,
        ip: r.ip,
        userAgent: r.user_agent,
        current: r.handle === currentHandle,
      }));
  }

  /** Ends one session of `userId` by its handle (404 when it is not one of theirs, or the user is outside the scope). */
  async endSessionByHandle(ctx: Context, scope: Scope<'user'>, userId: string, handle: string): Promise<void> {
    const gone = 'That session does not exist or has already ended.';
    if (!(await userInScope(ctx.db, scope, userId))) throw new NotFoundError(gone);
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const row = await findOpenSessionByHandle(tx.db, userId, handle);
      if (!row) throw new NotFoundError(gone);
      await requireReach(tx.db, this.deps.roles, ctx.actor, userId);
      await endSession(tx.db, row.id, this.iso());
      await this.deps.audit.record(tx, {
        action: 'auth.session_end',
        target: { type: 'user', id: userId },
        after: { session: handle },
      });
    });
  }

  // --- Accounts' credentials, for the modules that manage accounts (setup, users) -----------

  /** The account with this email (any state), for the server's shell (`steward admin recover`). */
  findAccountByEmail(ctx: AnyContext, email: string) {
    return findUserByEmail(ctx.db, email);
  }

  /** How many accounts exist (first-run setup is allowed only while there are none). */
  countAccounts(ctx: AnyContext): Promise<number> {
    return countUsers(ctx.db);
  }

  /** Adds an account that can sign in (with `passwordHash`) or not yet (null), inside the caller's transaction. */
  createAccount(tx: TxContext<Actor | null>, user: NewUser): Promise<void> {
    return insertUser(tx.db, user);
  }

  /** Sets a password hash (clearing the sign-in counter and lock) inside the caller's transaction. */
  setPassword(tx: TxContext<Actor | null>, userId: string, passwordHash: string, mustChange: boolean): Promise<void> {
    return setPassword(tx.db, userId, passwordHash, mustChange, this.iso());
  }

  /** Ends every open session of a user inside the caller's transaction (deactivation, reset); how many. */
  endUserSessions(tx: TxContext<Actor | null>, userId: string): Promise<number> {
    return endUserSessions(tx.db, userId, this.iso());
  }

  /** The signed-in user's profile, business, modules and effective permissions. */
  me(ctx: Context): Promise<Me> {
    return this.profile(ctx, ctx.actor);
  }

  /** The profile of `principal`, read through `ctx` (inside a transaction that has just opened its session). */
  private async profile(ctx: AnyContext, principal: Principal): Promise<Me> {
    const { db } = ctx;
    const settings = await getSettings(db, [SETTING.business, SETTING.modules, SETTING.rolesVersion]);
    const business = settings.get(SETTING.business) as Business | undefined;
    const modules = (settings.get(SETTING.modules) as string[] | undefined) ?? [];
    if (!business) throw new UnauthorizedError('Steward has not been set up yet.');
    const engine = await this.deps.roles.engineAt(Number(settings.get(SETTING.rolesVersion) ?? 0), db);
    const role = engine.roleDefs().find((r) => r.key === principal.user.roleKey);
    return {
      user: { ...principal.user, role: { key: principal.user.roleKey, name: role?.name ?? principal.user.roleKey } },
      business: { ...business, modules },
      permissions: engine.effective(principal.subject).map((e) => ({
        permission: e.permission,
        state: e.state,
        access: e.access,
      })),
      elevatedUntil:
        principal.elevated && principal.session?.elevatedUntil ? this.iso(principal.session.elevatedUntil) : null,
      csrfToken: principal.session?.csrfToken ?? null,
      session: principal.session ? { handle: principal.session.handle } : null,
      apiKey: principal.apiKey ? { id: principal.apiKey.id, name: principal.apiKey.name } : null,
    };
  }
}

export function masterCodeDisabled(): HttpError {
  return new HttpError(
    403,
    'master-code-disabled',
    'Master code disabled',
    'The master code was disabled after too many wrong entries. An admin must rotate it in Settings → Sign-in & keys.',
  );
}
