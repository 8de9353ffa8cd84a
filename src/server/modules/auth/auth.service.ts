import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { API_KEY_PATTERN } from '../../../shared/api-keys.ts';
import type { Me, SessionInfo } from '../../../shared/contracts/auth.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import {
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../http/errors.ts';
import type { Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { lockAccessChanges, requireReach } from '../permissions/guard-rails.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import {
  acceptMasterCode,
  currentMasterCode,
  disableMasterCodeIfFull,
  findApiKeyForAuth,
  masterCodeFailures,
  reserveMasterCodeAttempt,
  revokeUserApiKeys,
  touchApiKey,
} from '../security/security.repository.ts';
import { clearFailures, lockedFor, lockIfFull, releaseAttempt, reserveAttempt } from '../security/throttle.ts';
import { getSettings } from '../settings/settings.repository.ts';
import {
  type Business,
  loadSecurity,
  SETTING,
  type SecuritySettings,
  securityFrom,
} from '../settings/settings.service.ts';
import { getUser } from '../users/users.repository.ts';
import {
  endSession,
  endUserSessions,
  findSession,
  findUserByEmail,
  findUserById,
  insertSession,
  listOpenSessions,
  lockLoginIfFull,
  recordLoginSuccess,
  reserveLoginAttempt,
  setPassword,
  setSessionElevation,
  touchSession,
} from './auth.repository.ts';
import { assertPasswordAcceptable, type PasswordHasher } from './password.ts';

export const SESSION_COOKIE = 'steward_session';

/** The one answer to every failed login, whatever the cause (no account enumeration). */
export const LOGIN_FAILED = 'The email or password is incorrect, or the account cannot sign in right now.';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Sessions are looked up by the SHA-256 of their token; the token itself is never stored. */
export const sessionIdOf = sha256;

const TOUCH_EVERY_MS = 60_000;

type Deps = {
  database: Database;
  roles: RolesService;
  audit: AuditService;
  hasher: PasswordHasher;
  now: () => number;
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

  security(): Promise<SecuritySettings> {
    return loadSecurity(this.deps.database.db);
  }

  /**
   * Verifies the credentials and opens a new session (a new id at every login).
   *
   * Limits hold under bursts: the address and the account each reserve a place under their
   * limit in one transaction *before* bcrypt runs. An attempt past either limit is refused
   * without a comparison (the account one after a pause as long as a comparison, with the same
   * generic answer), so N parallel wrong passwords check at most the limit.
   */
  async login(email: string, password: string, ctx: RequestContext): Promise<SessionResult> {
    const { db } = this.deps.database;
    const security = await this.security();
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const addressKey = `login-ip:${ctx.ip ?? 'unknown'}`;
    const lockMs = security.loginLockMinutes * 60_000;
    const addressRule = { max: security.loginAddressMaxFailures, windowMs: lockMs, lockMs };
    const failure = (trx: Transaction<DB>, userId: string | null, why: string) =>
      this.deps.audit.record(trx, {
        action: 'auth.login',
        outcome: 'failure',
        actor: { userId, label: email },
        target: userId ? { type: 'user', id: userId } : null,
        after: { why },
        context: ctx,
      });
    const gate = await transaction(db, async (trx) => {
      if (!(await reserveAttempt(trx, addressKey, addressRule, now))) {
        await lockIfFull(trx, addressKey, addressRule, now);
        await failure(trx, null, 'address-throttled');
        return { open: false as const, user: undefined };
      }
      const user = await findUserByEmail(trx, email);
      const open = user ? await reserveLoginAttempt(trx, user.id, security.loginMaxFailures, nowIso) : true;
      return { open, user };
    });
    const { user } = gate;
    if (!gate.open && !user) {
      const wait = Math.max(await lockedFor(db, addressKey, now), 60);
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
      await transaction(db, async (trx) => {
        let lockedNow: number | null = null;
        if (user) {
          const until = this.iso(now + lockMs);
          lockedNow = await lockLoginIfFull(trx, user.id, security.loginMaxFailures, until, nowIso);
        }
        await lockIfFull(trx, addressKey, addressRule, now);
        const why = !user
          ? 'unknown-email'
          : !gate.open
            ? 'locked'
            : user.active !== 1
              ? 'deactivated'
              : 'wrong-password';
        await failure(trx, user?.id ?? null, why);
        if (lockedNow !== null && user) {
          await this.deps.audit.record(trx, {
            action: 'auth.lockout',
            outcome: 'failure',
            actor: { userId: user.id, label: email },
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: lockedNow },
            context: ctx,
          });
        }
      });
      throw new UnauthorizedError(LOGIN_FAILED);
    }

    return transaction(db, async (trx) => {
      const opened = await this.openSession(trx, user.id, security, ctx);
      await recordLoginSuccess(trx, user.id, this.iso(now));
      await releaseAttempt(trx, addressKey);
      await this.deps.audit.record(trx, {
        action: 'auth.login',
        actor: { userId: user.id, label: user.email },
        target: { type: 'user', id: user.id },
        context: ctx,
      });
      return opened;
    });
  }

  /** Inserts a session and builds its result (inside the caller's transaction). */
  private async openSession(
    trx: Tx,
    userId: string,
    security: SecuritySettings,
    ctx: RequestContext,
    elevatedUntil: number | null = null,
  ): Promise<SessionResult> {
    const now = this.deps.now();
    const token = randomBytes(32).toString('base64url');
    const maxAgeSeconds = security.sessionAbsoluteHours * 3600;
    await insertSession(trx, {
      id: sessionIdOf(token),
      handle: randomBytes(12).toString('base64url'),
      userId,
      csrfToken: randomBytes(32).toString('base64url'),
      now: this.iso(now),
      expiresAt: this.iso(now + maxAgeSeconds * 1000),
      elevatedUntil: elevatedUntil === null ? null : this.iso(elevatedUntil),
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    });
    const principal = await this.principalForSession(trx, sessionIdOf(token));
    if (!principal) throw new UnauthorizedError(LOGIN_FAILED);
    return { token, maxAgeSeconds, me: await this.me(principal, trx) };
  }

  /**
   * The principal behind the request: an API key in `Authorization: Bearer`, else the session
   * cookie. Null when there is none that is alive.
   */
  async authenticate(request: FastifyRequest): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!key || !API_KEY_PATTERN.test(key)) {
        throw new UnauthorizedError('The Authorization header must be "Bearer" followed by a Steward API key.');
      }
      return this.principalForApiKey(key);
    }
    const token = request.cookies?.[SESSION_COOKIE];
    if (!token || token.length > 100) return null;
    return this.principalForSession(this.deps.database.db, sessionIdOf(token));
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

  private async principalForSession(db: Tx, sessionId: string): Promise<Principal | null> {
    const row = await findSession(db, sessionId);
    if (!row || row.ended_at !== null || row.active !== 1) return null;
    const now = this.deps.now();
    // The security settings and the roles version in one read.
    const settings = await getSettings(db, [SETTING.security, SETTING.rolesVersion]);
    const security = securityFrom(settings.get(SETTING.security));
    if (Date.parse(row.expires_at) <= now) return null;
    const lastSeen = Date.parse(row.last_seen_at);
    if (now - lastSeen > security.sessionIdleMinutes * 60_000) return null;
    if (now - lastSeen > TOUCH_EVERY_MS) await touchSession(db, row.session_id, this.iso(now));
    const elevatedUntil = row.elevated_until ? Date.parse(row.elevated_until) : null;
    return {
      user: this.userOf(row),
      subject: await loadSubject(db, row, elevatedUntil, null),
      session: { id: row.session_id, handle: row.handle ?? '', csrfToken: row.csrf_token, elevatedUntil },
      apiKey: null,
      rolesVersion: Number(settings.get(SETTING.rolesVersion) ?? 0),
      elevated: elevatedUntil !== null && elevatedUntil > now,
    };
  }

  private async principalForApiKey(key: string): Promise<Principal | null> {
    const { db } = this.deps.database;
    const row = await findApiKeyForAuth(db, sha256(key));
    const now = this.deps.now();
    if (!row || row.revoked_at !== null || row.active !== 1) return null;
    if (row.expires_at !== null && Date.parse(row.expires_at) <= now) return null;
    if (!row.last_used_at || now - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
      await touchApiKey(db, row.key_id, this.iso(now));
    }
    const permissions = new Set(JSON.parse(row.key_permissions) as string[]);
    const rolesVersion = Number((await getSettings(db, [SETTING.rolesVersion])).get(SETTING.rolesVersion) ?? 0);
    return {
      user: this.userOf(row),
      // Never elevated: a key carries no session and no master code.
      subject: await loadSubject(db, row, null, permissions),
      session: null,
      apiKey: { id: row.key_id, name: row.key_name },
      rolesVersion,
      elevated: false,
    };
  }

  async logout(actor: Actor, ctx: RequestContext): Promise<void> {
    const session = actor.session;
    if (!session) return;
    await transaction(this.deps.database.db, async (trx) => {
      await endSession(trx, session.id, this.iso());
      await this.deps.audit.record(trx, {
        action: 'auth.logout',
        actor,
        target: { type: 'user', id: actor.user.id },
        context: ctx,
      });
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
  async elevate(actor: Actor, code: string, ctx: RequestContext): Promise<SessionResult> {
    const session = actor.session;
    if (!session) throw new ForbiddenError('API keys cannot be elevated; sign in and enter the master code.');
    const { db } = this.deps.database;
    const engine = await this.deps.roles.engineAt(actor.rolesVersion, db);
    if (!engine.effective(actor.subject).some((e) => e.elevatable)) {
      // Nothing to unlock: such users may not spend the code's limited wrong entries.
      throw new ForbiddenError(
        'None of your permissions needs the master code, so there is nothing to unlock. Ask an admin if you expected one.',
      );
    }
    const security = await this.security();
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const userKey = `elevate-user:${actor.user.id}`;
    const addressKey = `elevate-ip:${ctx.ip ?? 'unknown'}`;
    const lockMs = security.loginLockMinutes * 60_000;
    const userRule = { max: security.elevationMaxFailuresPerUser, windowMs: lockMs, lockMs };
    const addressRule = { max: security.elevationMaxFailuresPerAddress, windowMs: lockMs, lockMs };
    const codeMax = security.masterCodeMaxFailures;
    const failure = (trx: Transaction<DB>, why: string, extra: Record<string, unknown> = {}) =>
      this.deps.audit.record(trx, {
        action: 'auth.elevate',
        outcome: 'failure',
        actor,
        target: { type: 'session', id: session.handle },
        after: { why, ...extra },
        context: ctx,
      });
    const disabledEvent = (trx: Transaction<DB>, codeId: string, failures: number) =>
      this.deps.audit.record(trx, {
        action: 'security.master_code.disabled',
        outcome: 'failure',
        actor,
        target: { type: 'master_code', id: codeId },
        after: { failures },
        context: ctx,
      });
    type Gate =
      | { kind: 'open'; codeId: string; codeHash: string }
      | { kind: 'throttled' }
      | { kind: 'no-code' }
      | { kind: 'disabled' };
    const gate = await transaction(db, async (trx): Promise<Gate> => {
      const current = await currentMasterCode(trx);
      if (!current) {
        await failure(trx, 'no-code');
        return { kind: 'no-code' };
      }
      if (current.disabled_at !== null) {
        await failure(trx, 'code-disabled');
        return { kind: 'disabled' };
      }
      if (!(await reserveAttempt(trx, userKey, userRule, now))) {
        await lockIfFull(trx, userKey, userRule, now);
        await failure(trx, 'throttled');
        return { kind: 'throttled' };
      }
      if (!(await reserveAttempt(trx, addressKey, addressRule, now))) {
        await releaseAttempt(trx, userKey);
        await lockIfFull(trx, addressKey, addressRule, now);
        await failure(trx, 'throttled');
        return { kind: 'throttled' };
      }
      if (!(await reserveMasterCodeAttempt(trx, current.id, codeMax))) {
        await releaseAttempt(trx, userKey);
        await releaseAttempt(trx, addressKey);
        // At the limit: the code is disabled now if the entries that reached it have not done so yet.
        if (await disableMasterCodeIfFull(trx, current.id, codeMax, nowIso)) {
          await disabledEvent(trx, current.id, await masterCodeFailures(trx, current.id));
        }
        await failure(trx, 'code-disabled');
        return { kind: 'disabled' };
      }
      return { kind: 'open', codeId: current.id, codeHash: current.code_hash };
    });
    if (gate.kind === 'no-code') {
      throw new ConflictError('No master code has been set yet. An admin sets one in Settings → Security.');
    }
    if (gate.kind === 'disabled') throw masterCodeDisabled();
    if (gate.kind === 'throttled') {
      const wait = Math.max(await lockedFor(db, userKey, now), await lockedFor(db, addressKey, now), 60);
      throw new TooManyRequestsError(
        `Too many wrong master codes. Try again in ${Math.ceil(wait / 60)} minutes.`,
        wait,
      );
    }
    const ok = await this.deps.hasher.verify(code, gate.codeHash);
    if (!ok) {
      const disabledNow = await transaction(db, async (trx) => {
        await lockIfFull(trx, userKey, userRule, now);
        await lockIfFull(trx, addressKey, addressRule, now);
        const failures = await masterCodeFailures(trx, gate.codeId);
        await failure(trx, 'wrong-code', { codeFailures: failures });
        if (!(await disableMasterCodeIfFull(trx, gate.codeId, codeMax, nowIso))) return false;
        await disabledEvent(trx, gate.codeId, failures);
        return true;
      });
      if (disabledNow) throw masterCodeDisabled();
      throw new ValidationError('The master code is not correct.', [
        { path: 'code', message: 'The master code is not correct.' },
      ]);
    }
    const until = now + security.elevationMinutes * 60_000;
    const opened = await transaction(db, async (trx) => {
      // Right, but disabled (or rotated) while it was being checked: nothing elevates.
      if (!(await acceptMasterCode(trx, gate.codeId))) {
        await failure(trx, 'code-disabled');
        return null;
      }
      await endSession(trx, session.id, nowIso);
      const result = await this.openSession(trx, actor.user.id, security, ctx, until);
      await clearFailures(trx, userKey);
      await releaseAttempt(trx, addressKey);
      await this.deps.audit.record(trx, {
        action: 'auth.elevate',
        actor: { userId: actor.user.id, label: actor.user.email, elevated: true },
        target: { type: 'session', id: result.me.session?.handle ?? null },
        after: { until: this.iso(until), minutes: security.elevationMinutes },
        context: ctx,
      });
      return result;
    });
    if (!opened) throw masterCodeDisabled();
    return opened;
  }

  /** Ends this session's elevation early. */
  async endElevation(actor: Actor, ctx: RequestContext): Promise<void> {
    const session = actor.session;
    if (!session) return;
    await transaction(this.deps.database.db, async (trx) => {
      await setSessionElevation(trx, session.id, null);
      await this.deps.audit.record(trx, {
        action: 'auth.elevate_end',
        actor,
        target: { type: 'session', id: session.handle },
        context: ctx,
      });
    });
  }

  /** Changes the signed-in user's password; ends every session of theirs and opens a new one. */
  async changePassword(actor: Actor, current: string, next: string, ctx: RequestContext): Promise<SessionResult> {
    if (!actor.session) throw new ForbiddenError('Change passwords from a signed-in session, not with an API key.');
    const { db } = this.deps.database;
    const security = await this.security();
    const user = await findUserById(db, actor.user.id);
    if (!user) throw new UnauthorizedError();
    // The new password's own checks first: they need no comparison.
    assertPasswordAcceptable(next, security.passwordPolicy, 'newPassword');
    if (next === current) {
      throw new ValidationError('Choose a new password that differs from the current one.', [
        { path: 'newPassword', message: 'Choose a password that differs from the current one.' },
      ]);
    }
    // The current password is guessed against the account's sign-in limit, reserved before bcrypt:
    // a stolen session cannot try more passwords than the sign-in page allows.
    const now = this.deps.now();
    const nowIso = this.iso(now);
    const lockMs = security.loginLockMinutes * 60_000;
    const open = await transaction(db, (trx) => reserveLoginAttempt(trx, user.id, security.loginMaxFailures, nowIso));
    let ok = false;
    if (open) ok = await this.deps.hasher.verify(current, user.password_hash);
    else await this.deps.hasher.pause();
    if (!ok) {
      await transaction(db, async (trx) => {
        const lockedNow = await lockLoginIfFull(
          trx,
          user.id,
          security.loginMaxFailures,
          this.iso(now + lockMs),
          nowIso,
        );
        await this.deps.audit.record(trx, {
          action: 'auth.password_change',
          outcome: 'failure',
          actor,
          target: { type: 'user', id: user.id },
          after: { why: open ? 'wrong-current-password' : 'locked' },
          context: ctx,
        });
        if (lockedNow !== null) {
          await this.deps.audit.record(trx, {
            action: 'auth.lockout',
            outcome: 'failure',
            actor,
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: lockedNow },
            context: ctx,
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
    return transaction(db, async (trx) => {
      const now = this.iso();
      await setPassword(trx, user.id, hash, false, now);
      const ended = await endUserSessions(trx, user.id, now);
      const apiAccessRevoked = await revokeUserApiKeys(trx, user.id, user.id, now);
      const opened = await this.openSession(trx, user.id, security, ctx);
      await this.deps.audit.record(trx, {
        action: 'auth.password_change',
        actor,
        target: { type: 'user', id: user.id },
        after: { sessionsEnded: ended, apiAccessRevoked },
        context: ctx,
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
    actor: Actor,
    scope: Scope<'user'>,
    userId: string,
    currentHandle: string | null,
  ): Promise<SessionInfo[]> {
    const { db } = this.deps.database;
    if (!(await getUser(db, scope, userId))) throw new NotFoundError('There is no user with that id.');
    await requireReach(db, this.deps.roles, actor, userId);
    const security = await this.security();
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
  async endSessionByHandle(
    actor: Actor,
    scope: Scope<'user'>,
    userId: string,
    handle: string,
    ctx: RequestContext,
  ): Promise<void> {
    const { db } = this.deps.database;
    if (!(await getUser(db, scope, userId)))
      throw new NotFoundError('That session does not exist or has already ended.');
    const row = await db
      .selectFrom('sessions')
      .select(['id'])
      .where('handle', '=', handle)
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('That session does not exist or has already ended.');
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, this.deps.database.engine);
      await requireReach(trx, this.deps.roles, actor, userId);
      await endSession(trx, row.id, this.iso());
      await this.deps.audit.record(trx, {
        action: 'auth.session_end',
        actor,
        target: { type: 'user', id: userId },
        after: { session: handle },
        context: ctx,
      });
    });
  }

  /** The signed-in user's profile, business, modules and effective permissions. */
  async me(actor: Principal, db: Tx = this.deps.database.db): Promise<Me> {
    const settings = await getSettings(db, [SETTING.business, SETTING.modules, SETTING.rolesVersion]);
    const business = settings.get(SETTING.business) as Business | undefined;
    const modules = (settings.get(SETTING.modules) as string[] | undefined) ?? [];
    if (!business) throw new UnauthorizedError('Steward has not been set up yet.');
    const engine = await this.deps.roles.engineAt(Number(settings.get(SETTING.rolesVersion) ?? 0), db);
    const role = engine.roleDefs().find((r) => r.key === actor.user.roleKey);
    return {
      user: { ...actor.user, role: { key: actor.user.roleKey, name: role?.name ?? actor.user.roleKey } },
      business: { ...business, modules },
      permissions: engine.effective(actor.subject).map((e) => ({
        permission: e.permission,
        state: e.state,
        access: e.access,
      })),
      elevatedUntil: actor.elevated && actor.session?.elevatedUntil ? this.iso(actor.session.elevatedUntil) : null,
      csrfToken: actor.session?.csrfToken ?? null,
      session: actor.session ? { handle: actor.session.handle } : null,
      apiKey: actor.apiKey ? { id: actor.apiKey.id, name: actor.apiKey.name } : null,
    };
  }
}

export function masterCodeDisabled(): HttpError {
  return new HttpError(
    403,
    'master-code-disabled',
    'Master code disabled',
    'The master code was disabled after too many wrong entries. An admin must rotate it in Settings → Security.',
  );
}
