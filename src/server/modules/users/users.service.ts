import { randomInt, randomUUID } from 'node:crypto';
import type { Authz, Subject } from '../../../authz/index.ts';
import type { CreateUserBody, User } from '../../../shared/contracts/users.ts';
import type { PasswordPolicy } from '../../../shared/password-policy.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../http/errors.ts';
import { requireOwner, type Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { endUserSessions, insertUser, setPassword } from '../auth/auth.repository.ts';
import { assertPasswordAcceptable, type PasswordHasher } from '../auth/password.ts';
import {
  assertManagerRemains,
  assertNoCriticalWithoutApproval,
  assertRoleWithinReach,
  coversBreadth,
  type Holdings,
  holdingsOf,
  lockAccessChanges,
  requireReach,
} from '../permissions/guard-rails.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { revokeUserApiKeys } from '../security/security.repository.ts';
import { loadSecurity } from '../settings/settings.service.ts';
import { getUser, listUsers, type UserRow, updateUser } from './users.repository.ts';

type Deps = {
  database: Database;
  roles: RolesService;
  audit: AuditService;
  hasher: PasswordHasher;
  now: () => number;
};

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: { key: r.role_key, name: r.role_name },
    artistId: r.artist_id,
    active: r.active === 1,
    mustChangePassword: r.must_change_password === 1,
    hasPassword: r.password_hash !== null,
    lockedUntil: r.locked_until,
    lastLoginAt: r.last_login_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    overrides: Number(r.overrides ?? 0),
  };
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const DIGIT = '23456789';
const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)] as string;

/** A readable temporary password (e.g. "Kx7m-Qp3r-Ht9w") that meets the policy. */
export function temporaryPassword(policy: PasswordPolicy): string {
  const groups: string[] = [];
  while (groups.join('-').length < Math.max(14, policy.minLength)) {
    groups.push(pick(UPPER) + pick(LOWER) + pick(DIGIT) + pick(LOWER));
  }
  return groups.join('-');
}

/** A unique violation on users means the email is taken; anything else passes through. */
function emailTakenOr(err: unknown): unknown {
  if (!isUniqueViolation(err)) return err;
  return new ValidationError('Another user already has this email address.', [
    { path: 'email', message: 'Another user already has this email address.' },
  ]);
}

/** User accounts: create, edit, role, deactivate / reactivate, reset password. Never deleted. */
export class UsersService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private async row(db: Tx, scope: Scope<'user'>, id: string): Promise<UserRow> {
    const user = await getUser(db, scope, id);
    if (!user) throw new NotFoundError('There is no user with that id.');
    return user;
  }

  async list(scope: Scope<'user'>, filter: { q?: string; status: 'active' | 'inactive' | 'all' }): Promise<User[]> {
    return (await listUsers(this.deps.database.db, scope, filter)).map(toUser);
  }

  async get(scope: Scope<'user'>, id: string): Promise<User> {
    return toUser(await this.row(this.deps.database.db, scope, id));
  }

  /** Refuses a role that does not exist or gives more than the actor holds (judged inside the transaction). */
  private assertRoleAssignable(holdings: Holdings, roleKey: string): void {
    if (!holdings.engine.hasRole(roleKey)) {
      throw new ValidationError(`There is no role "${roleKey}".`, [
        { path: 'roleKey', message: 'Choose an existing role.' },
      ]);
    }
    assertRoleWithinReach(holdings, roleKey);
  }

  /**
   * "Critical grants need a second admin" covers roles too: giving a user a role that adds a
   * critical permission they did not hold is refused while the setting is on (per-user grants,
   * which wait for a second admin, are the way).
   */
  private async assertCriticalRoleChange(
    trx: Tx,
    engine: Authz,
    user: { id: string; role_key: string; artist_id: string | null } | null,
    roleKey: string,
    name: string,
  ): Promise<void> {
    const { criticalGrantsNeedApproval } = await loadSecurity(trx);
    if (!criticalGrantsNeedApproval) return;
    const before: Subject | null = user ? await loadSubject(trx, { ...user, active: 1 }) : null;
    const after: Subject = before
      ? { ...before, roles: [roleKey] }
      : { id: '', active: true, roles: [roleKey], overrides: [], elevatedUntil: null, ownerIds: [] };
    const gained = engine.permissions.filter(
      (p) => !coversBreadth(before ? engine.breadth(before, p) : null, engine.breadth(after, p)),
    );
    const role = engine.roleDefs().find((r) => r.key === roleKey)?.name ?? roleKey;
    assertNoCriticalWithoutApproval(gained, `Giving ${name} the role “${role}”`, true);
  }

  private async passwordFor(given: string | undefined, field: string): Promise<{ plain: string; hash: string }> {
    const { passwordPolicy } = await loadSecurity(this.deps.database.db);
    const plain = given ?? temporaryPassword(passwordPolicy);
    assertPasswordAcceptable(plain, passwordPolicy, field);
    return { plain, hash: await this.deps.hasher.hash(plain) };
  }

  async create(actor: Actor, scope: Scope<'user'>, body: CreateUserBody, ctx: RequestContext) {
    // A new account is nobody's own record: an `own` grant of users.add creates nothing.
    requireOwner(scope, null, 'a new user account is not yours');
    const password = await this.passwordFor(body.temporaryPassword, 'temporaryPassword');
    const id = randomUUID();
    const { db, engine: kind } = this.deps.database;
    try {
      await transaction(db, async (trx) => {
        await lockAccessChanges(trx, kind);
        const holdings = await holdingsOf(trx, this.deps.roles, actor);
        this.assertRoleAssignable(holdings, body.roleKey);
        await this.assertCriticalRoleChange(trx, holdings.engine, null, body.roleKey, body.name);
        await insertUser(trx, {
          id,
          email: body.email,
          name: body.name,
          passwordHash: password.hash,
          roleKey: body.roleKey,
          artistId: body.artistId ?? null,
          mustChangePassword: true,
          now: this.iso(),
        });
        await this.deps.audit.record(trx, {
          action: 'users.create',
          actor,
          target: { type: 'user', id },
          after: { email: body.email, name: body.name, role: body.roleKey, artistId: body.artistId ?? null },
          context: ctx,
        });
      });
    } catch (err) {
      throw emailTakenOr(err);
    }
    return { user: await this.get(scope, id), temporaryPassword: password.plain };
  }

  async update(
    actor: Actor,
    scope: Scope<'user'>,
    id: string,
    patch: { email?: string | undefined; name?: string | undefined; artistId?: string | null | undefined },
    ctx: RequestContext,
  ): Promise<User> {
    const { db, engine: kind } = this.deps.database;
    try {
      await transaction(db, async (trx) => {
        await lockAccessChanges(trx, kind);
        const before = await this.row(trx, scope, id);
        await requireReach(trx, this.deps.roles, actor, id);
        const changes: { email?: string; name?: string; artist_id?: string | null } = {};
        if (patch.email !== undefined && patch.email !== before.email) changes.email = patch.email;
        if (patch.name !== undefined && patch.name !== before.name) changes.name = patch.name;
        if (patch.artistId !== undefined && patch.artistId !== before.artist_id) changes.artist_id = patch.artistId;
        if (Object.keys(changes).length === 0) return;
        await updateUser(trx, id, changes, this.iso());
        await this.deps.audit.record(trx, {
          action: 'users.update',
          actor,
          target: { type: 'user', id },
          before: Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof UserRow]])),
          after: changes,
          context: ctx,
        });
      });
    } catch (err) {
      throw emailTakenOr(err);
    }
    return this.get(scope, id);
  }

  async changeRole(
    actor: Actor,
    scope: Scope<'user'>,
    id: string,
    roleKey: string,
    reason: string | undefined,
    ctx: RequestContext,
  ) {
    const { db, engine: kind } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const before = await this.row(trx, scope, id);
      if (before.role_key === roleKey) return;
      const holdings = await requireReach(trx, this.deps.roles, actor, id);
      this.assertRoleAssignable(holdings, roleKey);
      // Taking a role away needs the same reach as giving it.
      assertRoleWithinReach(holdings, before.role_key, 'take away');
      await this.assertCriticalRoleChange(trx, holdings.engine, before, roleKey, before.name);
      await updateUser(trx, id, { role_key: roleKey }, this.iso());
      await assertManagerRemains(trx, holdings.engine);
      await this.deps.audit.record(trx, {
        action: 'users.role_change',
        actor,
        target: { type: 'user', id },
        before: { role: before.role_key },
        after: { role: roleKey },
        reason: reason ?? null,
        context: ctx,
      });
    });
    return this.get(scope, id);
  }

  /** Deactivates: every session and API key of the user stops working at once. */
  async deactivate(
    actor: Actor,
    scope: Scope<'user'>,
    id: string,
    reason: string | undefined,
    ctx: RequestContext,
  ): Promise<User> {
    if (id === actor.user.id) throw new ForbiddenError('You cannot deactivate your own account.');
    const { db, engine: kind } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const before = await this.row(trx, scope, id);
      if (before.active === 0) throw new ConflictError('This user is already deactivated.');
      await requireReach(trx, this.deps.roles, actor, id);
      const now = this.iso();
      await updateUser(trx, id, { active: 0 }, now);
      const sessions = await endUserSessions(trx, id, now);
      // Revoked for good: reactivation does not bring the keys back.
      const apiAccessRevoked = await revokeUserApiKeys(trx, id, actor.user.id, now);
      await assertManagerRemains(trx, await this.deps.roles.engine(trx));
      await this.deps.audit.record(trx, {
        action: 'users.deactivate',
        actor,
        target: { type: 'user', id },
        before: { active: true },
        after: { active: false, sessionsEnded: sessions, apiAccessRevoked },
        reason: reason ?? null,
        context: ctx,
      });
    });
    return this.get(scope, id);
  }

  async reactivate(
    actor: Actor,
    scope: Scope<'user'>,
    id: string,
    reason: string | undefined,
    ctx: RequestContext,
  ): Promise<User> {
    const { db, engine: kind } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const before = await this.row(trx, scope, id);
      if (before.active === 1) throw new ConflictError('This user is already active.');
      const holdings = await requireReach(trx, this.deps.roles, actor, id);
      this.assertRoleAssignable(holdings, before.role_key);
      await updateUser(trx, id, { active: 1 }, this.iso());
      await this.deps.audit.record(trx, {
        action: 'users.reactivate',
        actor,
        target: { type: 'user', id },
        before: { active: false },
        after: { active: true },
        reason: reason ?? null,
        context: ctx,
      });
    });
    return this.get(scope, id);
  }

  /** Sets a temporary password (returned once), unlocks the account, ends its sessions and revokes its API keys. */
  async resetPassword(actor: Actor, scope: Scope<'user'>, id: string, given: string | undefined, ctx: RequestContext) {
    const { db, engine: kind } = this.deps.database;
    const target = await this.row(db, scope, id);
    if (target.active === 0) throw new ConflictError('Reactivate this user before resetting their password.');
    const password = await this.passwordFor(given, 'temporaryPassword');
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      await requireReach(trx, this.deps.roles, actor, id);
      const now = this.iso();
      await setPassword(trx, id, password.hash, true, now);
      const sessions = await endUserSessions(trx, id, now);
      const apiAccessRevoked = await revokeUserApiKeys(trx, id, actor.user.id, now);
      await this.deps.audit.record(trx, {
        action: 'users.reset_password',
        actor,
        target: { type: 'user', id },
        after: { mustChangePassword: true, sessionsEnded: sessions, apiAccessRevoked },
        context: ctx,
      });
    });
    return { user: await this.get(scope, id), temporaryPassword: password.plain };
  }

  /** Ends every session of a user (an admin's "sign out everywhere"). */
  async endSessions(actor: Actor, scope: Scope<'user'>, id: string, ctx: RequestContext): Promise<number> {
    const { db, engine: kind } = this.deps.database;
    await this.row(db, scope, id);
    return transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      await requireReach(trx, this.deps.roles, actor, id);
      const n = await endUserSessions(trx, id, this.iso());
      await this.deps.audit.record(trx, {
        action: 'users.sessions_end',
        actor,
        target: { type: 'user', id },
        after: { sessionsEnded: n },
        context: ctx,
      });
      return n;
    });
  }
}
