import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Subject } from '../../../authz/index.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import { type Database, transaction } from '../../db/database.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { UnauthorizedError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { getSetting } from '../settings/settings.repository.ts';
import { type Business, DEFAULT_SECURITY, SETTING, type SecuritySettings } from '../settings/settings.service.ts';
import {
  endSession,
  findSession,
  findUserByEmail,
  insertSession,
  loadOverrides,
  recordLoginFailure,
  recordLoginSuccess,
  touchSession,
} from './auth.repository.ts';
import type { PasswordHasher } from './password.ts';

export const SESSION_COOKIE = 'steward_session';

/** The one answer to every failed login, whatever the cause (no account enumeration). */
export const LOGIN_FAILED = 'The email or password is incorrect, or the account cannot sign in right now.';

/** Sessions are looked up by the SHA-256 of their token; the token itself is never stored. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const TOUCH_EVERY_MS = 60_000;

type Deps = {
  database: Database;
  roles: RolesService;
  audit: AuditService;
  hasher: PasswordHasher;
  now: () => number;
};

export type LoginResult = { token: string; maxAgeSeconds: number; me: Me };

export class AuthService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(ms = this.deps.now()): string {
    return new Date(ms).toISOString();
  }

  async security(): Promise<SecuritySettings> {
    const stored = await getSetting<Partial<SecuritySettings>>(this.deps.database.db, SETTING.security);
    return { ...DEFAULT_SECURITY, ...stored };
  }

  /** Verifies the credentials and opens a new session (a new id at every login). */
  async login(email: string, password: string, ctx: RequestContext): Promise<LoginResult> {
    const { db } = this.deps.database;
    const security = await this.security();
    const user = await findUserByEmail(db, email);
    // Always one bcrypt comparison, whether or not the account exists, is locked or deactivated.
    const passwordOk = await this.deps.hasher.verify(password, user?.password_hash ?? null);
    const now = this.deps.now();
    const locked = user?.locked_until != null && Date.parse(user.locked_until) > now;
    if (!user || !passwordOk || locked || user.active !== 1) {
      await transaction(db, async (trx) => {
        let lockedNow = false;
        if (user && !locked) {
          lockedNow = user.failed_logins + 1 >= security.loginMaxFailures;
          const until = lockedNow ? this.iso(now + security.loginLockMinutes * 60_000) : null;
          await recordLoginFailure(trx, user.id, until, this.iso(now));
        }
        const why = !user ? 'unknown-email' : user.active !== 1 ? 'deactivated' : locked ? 'locked' : 'wrong-password';
        await this.deps.audit.record(trx, {
          action: 'auth.login',
          outcome: 'failure',
          actor: { userId: user?.id ?? null, label: email },
          target: user ? { type: 'user', id: user.id } : null,
          after: { why },
          context: ctx,
        });
        if (lockedNow && user) {
          await this.deps.audit.record(trx, {
            action: 'auth.lockout',
            outcome: 'failure',
            actor: { userId: user.id, label: email },
            target: { type: 'user', id: user.id },
            after: { minutes: security.loginLockMinutes, failures: user.failed_logins + 1 },
            context: ctx,
          });
        }
      });
      throw new UnauthorizedError(LOGIN_FAILED);
    }

    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const maxAgeSeconds = security.sessionAbsoluteHours * 3600;
    await transaction(db, async (trx) => {
      await insertSession(trx, {
        id: sessionIdOf(token),
        userId: user.id,
        csrfToken,
        now: this.iso(now),
        expiresAt: this.iso(now + maxAgeSeconds * 1000),
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      });
      await recordLoginSuccess(trx, user.id, this.iso(now));
      await this.deps.audit.record(trx, {
        action: 'auth.login',
        actor: { userId: user.id, label: user.email },
        target: { type: 'user', id: user.id },
        context: ctx,
      });
    });
    const actor = await this.actorForSession(sessionIdOf(token));
    if (!actor) throw new UnauthorizedError(LOGIN_FAILED);
    return { token, maxAgeSeconds, me: await this.me(actor) };
  }

  /** The actor behind the request's session cookie, or null when it has none that is alive. */
  async authenticate(request: FastifyRequest): Promise<Omit<Actor, 'routeAccess'> | null> {
    const token = request.cookies?.[SESSION_COOKIE];
    if (!token || token.length > 100) return null;
    return this.actorForSession(sessionIdOf(token));
  }

  private async actorForSession(sessionId: string): Promise<Omit<Actor, 'routeAccess'> | null> {
    const { db } = this.deps.database;
    const row = await findSession(db, sessionId);
    if (!row || row.ended_at !== null || row.active !== 1) return null;
    const now = this.deps.now();
    const security = await this.security();
    if (Date.parse(row.expires_at) <= now) return null;
    const lastSeen = Date.parse(row.last_seen_at);
    if (now - lastSeen > security.sessionIdleMinutes * 60_000) return null;
    if (now - lastSeen > TOUCH_EVERY_MS) await touchSession(db, row.session_id, this.iso(now));
    const overrides = await loadOverrides(db, row.id);
    const elevatedUntil = row.elevated_until ? Date.parse(row.elevated_until) : null;
    const subject: Subject = {
      id: row.id,
      active: row.active === 1,
      roles: [row.role_key],
      overrides: overrides.map((o) => ({
        permission: o.permission,
        effect: o.effect,
        scope: o.scope,
        expiresAt: o.expires_at ? Date.parse(o.expires_at) : null,
        reason: o.reason,
        byName: o.by_name,
        at: Date.parse(o.created_at),
      })),
      elevatedUntil,
      ownerIds: row.artist_id ? [row.id, row.artist_id] : [row.id],
    };
    return {
      user: {
        id: row.id,
        email: row.email,
        name: row.name,
        roleKey: row.role_key,
        artistId: row.artist_id,
        mustChangePassword: row.must_change_password === 1,
      },
      subject,
      session: { id: row.session_id, csrfToken: row.csrf_token, elevatedUntil },
      elevated: elevatedUntil !== null && elevatedUntil > now,
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

  /** The signed-in user's profile, business, modules and effective permissions. */
  async me(actor: Omit<Actor, 'routeAccess'>): Promise<Me> {
    const { db } = this.deps.database;
    const engine = await this.deps.roles.engine();
    const business = await getSetting<Business>(db, SETTING.business);
    const modules = (await getSetting<string[]>(db, SETTING.modules)) ?? [];
    if (!business) throw new UnauthorizedError('Steward has not been set up yet.');
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
    };
  }
}
