import { randomInt, randomUUID } from 'node:crypto';
import type { Authz, Subject } from '../../../authz/index.ts';
import type { RoleChangePending } from '../../../shared/contracts/permissions.ts';
import type { CreateUserBody, User } from '../../../shared/contracts/users.ts';
import type { PasswordPolicy } from '../../../shared/password-policy.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import type { Database } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../http/errors.ts';
import { requireOwner, type Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { assertPasswordAcceptable, type PasswordHasher } from '../auth/password.ts';
import { type Context, type Db, inTransaction, type Trx } from '../context.ts';
import {
  assertManagerRemains,
  assertNoCriticalWithoutApproval,
  assertRoleWithinReach,
  coversBreadth,
  criticalOf,
  type Holdings,
  holdingsOf,
  lockAccessChanges,
  requireReach,
} from '../permissions/guard-rails.ts';
import { requestRoleChange } from '../permissions/role-requests.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import type { SecurityService } from '../security/security.service.ts';
import { loadSecurity } from '../settings/settings.service.ts';
import { getUser, listUsers, type UserRow, updateUser } from './users.repository.ts';

type Deps = {
  /** Only asked which engine it runs (for the access-change lock); handles come from the context. */
  database: Pick<Database, 'engine'>;
  roles: RolesService;
  audit: AuditService;
  hasher: PasswordHasher;
  now: () => number;
  /** Credentials and sessions belong to auth; API keys to security. */
  auth: AuthService;
  security: SecurityService;
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

  private async row(db: Db, scope: Scope<'user'>, id: string): Promise<UserRow> {
    const user = await getUser(db, scope, id);
    if (!user) throw new NotFoundError('There is no user with that id.');
    return user;
  }

  async list(
    ctx: Context,
    scope: Scope<'user'>,
    filter: { q?: string; status: 'active' | 'inactive' | 'all' },
  ): Promise<User[]> {
    return (await listUsers(ctx.db, scope, filter)).map(toUser);
  }

  /** One user within the scope (404 otherwise), read through the context (inside its transaction, if any). */
  async get(ctx: Context, scope: Scope<'user'>, id: string): Promise<User> {
    return toUser(await this.row(ctx.db, scope, id));
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
   * The critical permissions giving `user` (null: a new account) the role `roleKey` adds, when the
   * "critical grants need a second admin" setting is on; empty otherwise.
   */
  private async criticalGained(
    trx: Trx,
    engine: Authz<Permission>,
    user: { id: string; role_key: string; artist_id: string | null } | null,
    roleKey: string,
  ): Promise<Permission[]> {
    const { criticalGrantsNeedApproval } = await loadSecurity(trx);
    if (!criticalGrantsNeedApproval) return [];
    const before: Subject | null = user ? await loadSubject(trx, { ...user, active: 1 }) : null;
    const after: Subject = before
      ? { ...before, roles: [roleKey] }
      : { id: '', active: true, roles: [roleKey], overrides: [], elevatedUntil: null, ownerIds: [] };
    return criticalOf(
      engine.permissions.filter(
        (p) => !coversBreadth(before ? engine.breadth(before, p) : null, engine.breadth(after, p)),
      ),
    );
  }

  /**
   * The password to set (the one given, or a readable temporary one) and its hash. The policy is
   * read before the write's transaction on purpose: hashing takes a while and must not hold the
   * access-change lock; a policy changed in between applies to the next password.
   */
  private async passwordFor(
    ctx: Context,
    given: string | undefined,
    field: string,
  ): Promise<{ plain: string; hash: string }> {
    const { passwordPolicy } = await loadSecurity(ctx.db);
    const plain = given ?? temporaryPassword(passwordPolicy);
    assertPasswordAcceptable(plain, passwordPolicy, field);
    return { plain, hash: await this.deps.hasher.hash(plain) };
  }

  async create(ctx: Context, scope: Scope<'user'>, body: CreateUserBody) {
    // A new account is nobody's own record: an `own` grant of users.add creates nothing.
    requireOwner(scope, null, 'a new user account is not yours');
    const password = await this.passwordFor(ctx, body.temporaryPassword, 'temporaryPassword');
    const id = randomUUID();
    try {
      await inTransaction(ctx, async (tx) => {
        await lockAccessChanges(tx.db, this.deps.database.engine);
        const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
        this.assertRoleAssignable(holdings, body.roleKey);
        const role = holdings.engine.roleDefs().find((r) => r.key === body.roleKey)?.name ?? body.roleKey;
        assertNoCriticalWithoutApproval(
          await this.criticalGained(tx.db, holdings.engine, null, body.roleKey),
          `Giving ${body.name} the role “${role}”`,
          true,
        );
        await this.deps.auth.createAccount(tx, {
          id,
          email: body.email,
          name: body.name,
          passwordHash: password.hash,
          roleKey: body.roleKey,
          artistId: body.artistId ?? null,
          mustChangePassword: true,
          now: this.iso(),
        });
        await this.deps.audit.record(tx, {
          action: 'users.create',
          target: { type: 'user', id },
          after: { email: body.email, name: body.name, role: body.roleKey, artistId: body.artistId ?? null },
        });
      });
    } catch (err) {
      throw emailTakenOr(err);
    }
    return { user: await this.get(ctx, scope, id), temporaryPassword: password.plain };
  }

  async update(
    ctx: Context,
    scope: Scope<'user'>,
    id: string,
    patch: { email?: string | undefined; name?: string | undefined; artistId?: string | null | undefined },
  ): Promise<User> {
    try {
      await inTransaction(ctx, async (tx) => {
        await lockAccessChanges(tx.db, this.deps.database.engine);
        const before = await this.row(tx.db, scope, id);
        await requireReach(tx.db, this.deps.roles, tx.actor, before);
        const changes: { email?: string; name?: string; artist_id?: string | null } = {};
        if (patch.email !== undefined && patch.email !== before.email) changes.email = patch.email;
        if (patch.name !== undefined && patch.name !== before.name) changes.name = patch.name;
        if (patch.artistId !== undefined && patch.artistId !== before.artist_id) changes.artist_id = patch.artistId;
        if (Object.keys(changes).length === 0) return;
        await updateUser(tx.db, id, changes, this.iso());
        await this.deps.audit.record(tx, {
          action: 'users.update',
          target: { type: 'user', id },
          before: Object.fromEntries(Object.keys(changes).map((k) => [k, before[k as keyof UserRow]])),
          after: changes,
        });
      });
    } catch (err) {
      throw emailTakenOr(err);
    }
    return this.get(ctx, scope, id);
  }

  /**
   * Changes a user's role; with "critical grants need a second admin" on, a role that adds a
   * critical permission waits for another admin instead (the answer is then the pending request).
   */
  async changeRole(
    ctx: Context,
    scope: Scope<'user'>,
    id: string,
    roleKey: string,
    reason: string | undefined,
  ): Promise<User | RoleChangePending> {
    const pending = await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const before = await this.row(tx.db, scope, id);
      if (before.role_key === roleKey) return null;
      const holdings = await requireReach(tx.db, this.deps.roles, tx.actor, before);
      this.assertRoleAssignable(holdings, roleKey);
      // Taking a role away needs the same reach as giving it.
      assertRoleWithinReach(holdings, before.role_key, 'take away');
      const critical = await this.criticalGained(tx.db, holdings.engine, before, roleKey);
      if (critical.length > 0) {
        const roleName = holdings.engine.roleDefs().find((r) => r.key === roleKey)?.name ?? roleKey;
        return requestRoleChange(
          tx,
          this.deps.audit,
          {
            kind: 'assign',
            roleKey,
            roleName,
            user: { id, name: before.name },
            payload: { roleKey, from: before.role_key },
          },
          critical,
          reason ?? null,
          this.iso(),
        );
      }
      await updateUser(tx.db, id, { role_key: roleKey }, this.iso());
      await assertManagerRemains(tx.db, holdings.engine);
      await this.deps.audit.record(tx, {
        action: 'users.role_change',
        target: { type: 'user', id },
        before: { role: before.role_key },
        after: { role: roleKey },
        reason: reason ?? null,
      });
      return null;
    });
    return pending ?? this.get(ctx, scope, id);
  }

  /** Deactivates: every session and API key of the user stops working at once. */
  async deactivate(ctx: Context, scope: Scope<'user'>, id: string, reason: string | undefined): Promise<User> {
    if (id === ctx.actor.user.id) throw new ForbiddenError('You cannot deactivate your own account.');
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const before = await this.row(tx.db, scope, id);
      if (before.active === 0) throw new ConflictError('This user is already deactivated.');
      const holdings = await requireReach(tx.db, this.deps.roles, tx.actor, before);
      const now = this.iso();
      await updateUser(tx.db, id, { active: 0 }, now);
      const sessions = await this.deps.auth.endUserSessions(tx, id);
      // Revoked for good: reactivation does not bring the keys back.
      const apiAccessRevoked = await this.deps.security.revokeUserApiKeys(tx, id, tx.actor.user.id);
      await assertManagerRemains(tx.db, holdings.engine);
      await this.deps.audit.record(tx, {
        action: 'users.deactivate',
        target: { type: 'user', id },
        before: { active: true },
        after: { active: false, sessionsEnded: sessions, apiAccessRevoked },
        reason: reason ?? null,
      });
    });
    return this.get(ctx, scope, id);
  }

  async reactivate(ctx: Context, scope: Scope<'user'>, id: string, reason: string | undefined): Promise<User> {
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const before = await this.row(tx.db, scope, id);
      if (before.active === 1) throw new ConflictError('This user is already active.');
      const holdings = await requireReach(tx.db, this.deps.roles, tx.actor, before);
      this.assertRoleAssignable(holdings, before.role_key);
      await updateUser(tx.db, id, { active: 1 }, this.iso());
      await this.deps.audit.record(tx, {
        action: 'users.reactivate',
        target: { type: 'user', id },
        before: { active: false },
        after: { active: true },
        reason: reason ?? null,
      });
    });
    return this.get(ctx, scope, id);
  }

  /** Sets a temporary password (returned once), unlocks the account, ends its sessions and revokes its API keys. */
  async resetPassword(ctx: Context, scope: Scope<'user'>, id: string, given: string | undefined) {
    // A quick refusal before hashing; decided again inside the transaction.
    const target = await this.row(ctx.db, scope, id);
    if (target.active === 0) throw new ConflictError('Reactivate this user before resetting their password.');
    const password = await this.passwordFor(ctx, given, 'temporaryPassword');
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const before = await this.row(tx.db, scope, id);
      if (before.active === 0) throw new ConflictError('Reactivate this user before resetting their password.');
      await requireReach(tx.db, this.deps.roles, tx.actor, before);
      const _now = this.iso();
      await this.deps.auth.setPassword(tx, id, password.hash, true);
      const sessions = await this.deps.auth.endUserSessions(tx, id);
      const apiAccessRevoked = await this.deps.security.revokeUserApiKeys(tx, id, tx.actor.user.id);
      await this.deps.audit.record(tx, {
        action: 'users.reset_password',
        target: { type: 'user', id },
        after: { mustChangePassword: true, sessionsEnded: sessions, apiAccessRevoked },
      });
    });
    return { user: await this.get(ctx, scope, id), temporaryPassword: password.plain };
  }

  /** Ends every session of a user (an admin's "sign out everywhere"). */
  async endSessions(ctx: Context, scope: Scope<'user'>, id: string): Promise<number> {
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const target = await this.row(tx.db, scope, id);
      await requireReach(tx.db, this.deps.roles, tx.actor, target);
      const n = await this.deps.auth.endUserSessions(tx, id);
      await this.deps.audit.record(tx, {
        action: 'users.sessions_end',
        target: { type: 'user', id },
        after: { sessionsEnded: n },
      });
      return n;
    });
  }
}
