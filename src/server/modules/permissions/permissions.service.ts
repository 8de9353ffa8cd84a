import { randomUUID } from 'node:crypto';
import { type Authz, type EffectiveEntry, type Override, RoleGraphError, type Subject } from '../../../authz/index.ts';
import type {
  BulkPermissionBody,
  CreateRoleBody,
  PermissionRequest,
  PermissionState,
  Role,
  SetPermissionBody,
  UpdateRoleBody,
  UserPermissions,
} from '../../../shared/contracts/permissions.ts';
import { isPermission, type Permission, permissionDef } from '../../../shared/permissions/catalog.ts';
import { TEMPLATES } from '../../../shared/permissions/templates.ts';
import type { Database } from '../../db/database.ts';
import { requireAccess } from '../../db/scoped.ts';
import type { Actor } from '../../http/actor.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, type Db, inTransaction, type Trx, type TxContext } from '../context.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { loadBusiness, loadSecurity } from '../settings/settings.service.ts';
import {
  assertHolds,
  assertManagerRemains,
  assertNoCriticalWithoutApproval,
  assertRoleChangeWithinReach,
  assertRoleWithinReach,
  coversBreadth,
  type Holdings,
  holdingsOf,
  lockAccessChanges,
  requireReach,
  roleAdditions,
} from './guard-rails.ts';
import {
  type AccountFacts,
  decideRequest,
  deleteDenies,
  deleteOverride,
  getOverride,
  getRequest,
  insertOverride,
  insertRequest,
  listRequests,
  pendingRequestsOf,
  subjectUser,
} from './permissions.repository.ts';
import { loadSubject } from './subjects.ts';

/** `database` is only asked which engine it runs (for the access-change lock); handles come from the context. */
type Deps = {
  database: Pick<Database, 'engine'>;
  roles: RolesService;
  audit: AuditService;
  now: () => number;
};

type Input = Required<Pick<BulkPermissionBody, 'effect' | 'scope' | 'reason'>> & { expiresAt: string | null };

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

function overrideInfo(o: Override | null) {
  if (!o) return null;
  return {
    effect: o.effect,
    scope: o.scope,
    expiresAt: iso(o.expiresAt),
    reason: o.reason ?? null,
    byName: o.byName ?? null,
    at: iso(o.at),
  };
}

/** Per-user permissions, explanations, grants and denies (with approval of critical grants), and roles. */
export class PermissionsService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  /**
   * The user (404 outside the scope) with the facts the engine judges by. Read through this
   * module's repository, not the users service: users uses permissions (guard rails, recovery).
   */
  private async userOrThrow(ctx: Context, scope: Scope<'user'>, id: string) {
    const row = await subjectUser(ctx.db, scope, id);
    if (!row) throw new NotFoundError('There is no user with that id.');
    const user = {
      id: row.id,
      name: row.name,
      email: row.email,
      role: { key: row.role_key, name: row.role_name },
      active: row.active === 1,
    };
    const facts: AccountFacts = {
      id: row.id,
      name: row.name,
      role_key: row.role_key,
      artist_id: row.artist_id,
      active: row.active,
    };
    return { user, facts };
  }

  private state(
    engine: Authz<Permission>,
    subject: Subject,
    e: EffectiveEntry<Permission>,
    pending: Map<string, string>,
  ): PermissionState {
    const def = permissionDef(e.permission);
    return {
      permission: e.permission,
      label: def.label,
      description: def.description,
      area: def.area,
      risk: def.risk,
      state: e.state,
      access: e.access,
      elevatable: e.elevatable,
      role: e.role ? { key: e.role.key, name: e.role.name, via: [...e.role.via] } : null,
      policy: e.policy,
      override: overrideInfo(e.override),
      expired: overrideInfo(e.expired),
      pendingRequest: pending.get(e.permission) ?? null,
      summary: engine.explain(subject, e.permission).summary,
    };
  }

  private async pendingFor(db: Db, userId: string): Promise<Map<string, string>> {
    const rows = await pendingRequestsOf(db, userId);
    return new Map(rows.map((r) => [r.permission, r.id]));
  }

  /** Every catalog permission for one user, with state and provenance (the permissions page). */
  async forUser(ctx: Context, scope: Scope<'user'>, userId: string): Promise<UserPermissions> {
    const { user, facts } = await this.userOrThrow(ctx, scope, userId);
    const engine = await this.deps.roles.engine(ctx.db);
    const subject = await loadSubject(ctx.db, facts);
    const pending = await this.pendingFor(ctx.db, userId);
    return {
      user: { id: user.id, name: user.name, email: user.email, role: user.role, active: user.active },
      items: engine.effective(subject).map((e) => this.state(engine, subject, e, pending)),
    };
  }

  async explain(ctx: Context, scope: Scope<'user'>, userId: string, permission: string) {
    if (!isPermission(permission)) throw new NotFoundError(`"${permission}" is not a permission in the catalog.`);
    const { facts } = await this.userOrThrow(ctx, scope, userId);
    const engine = await this.deps.roles.engine(ctx.db);
    return engine.explain(await loadSubject(ctx.db, facts), permission);
  }

  private validate(permission: string, input: Input): asserts permission is Permission {
    if (!isPermission(permission)) throw new NotFoundError(`"${permission}" is not a permission in the catalog.`);
    if (input.expiresAt !== null && Date.parse(input.expiresAt) <= this.deps.now()) {
      throw new ValidationError('The end date is in the past.', [
        { path: 'expiresAt', message: 'Choose an end date in the future.' },
      ]);
    }
    if (input.effect === 'deny' && input.scope === 'own') {
      throw new ValidationError('A deny always covers every record; leave the scope at "any".', [
        { path: 'scope', message: 'A deny covers every record.' },
      ]);
    }
  }

  /**
   * Applies one grant, deny or inherit inside the transaction. Returns what happened; a critical
   * grant becomes a request for a second admin when the setting asks for it.
   */
  private async applyOne(
    tx: TxContext,
    scope: Scope<'user'>,
    holdings: Holdings,
    userId: string,
    permission: Permission,
    input: Input,
    needApproval: boolean,
  ): Promise<{ status: 'applied' | 'pending-approval' | 'unchanged'; requestId: string | null }> {
    const { actor } = tx;
    const { facts: user } = await this.userOrThrow(tx, scope, userId);
    await requireReach(tx.db, this.deps.roles, actor, user, holdings);
    const now = this.iso();
    const before = await getOverride(tx.db, userId, permission);
    if (input.effect === 'grant') assertHolds(holdings, permission, input.scope);
    // Lifting a deny: removing it, or replacing it with one that ends (sooner).
    const lifts =
      before?.effect === 'deny' &&
      (input.effect === 'inherit' ||
        (input.effect === 'deny' &&
          input.expiresAt !== null &&
          (before.expires_at === null || Date.parse(input.expiresAt) < Date.parse(before.expires_at))));
    if (lifts) await this.assertMayLiftDeny(tx.db, holdings, user, permission, actor);
    const beforeView = before
      ? { effect: before.effect, scope: before.scope, expiresAt: before.expires_at, reason: before.reason }
      : { effect: 'inherit' };
    if (input.effect === 'inherit' && !before) return { status: 'unchanged', requestId: null };

    if (input.effect === 'grant' && permissionDef(permission).risk === 'critical' && needApproval) {
      const id = randomUUID();
      await insertRequest(tx.db, {
        id,
        user_id: userId,
        permission,
        scope: input.scope,
        expires_at: input.expiresAt,
        reason: input.reason,
        requested_by: actor.user.id,
        requested_at: now,
        status: 'pending',
        decided_by: null,
        decided_at: null,
      });
      await this.deps.audit.record(tx, {
        action: 'permissions.grant_requested',
        target: { type: 'user', id: user.id },
        after: { permission, scope: input.scope, expiresAt: input.expiresAt, request: id },
        reason: input.reason,
      });
      return { status: 'pending-approval', requestId: id };
    }

    await this.writeOverride(tx.db, userId, permission, input, actor.user.id, now);
    await this.deps.audit.record(tx, {
      action: 'permissions.change',
      target: { type: 'user', id: user.id },
      before: { permission, ...beforeView },
      after:
        input.effect === 'inherit'
          ? { permission, effect: 'inherit' }
          : { permission, effect: input.effect, scope: input.scope, expiresAt: input.expiresAt },
      reason: input.reason,
    });
    return { status: 'applied', requestId: null };
  }

  /**
   * Lifting a deny gives back whatever the target's roles and grants give: the actor must hold
   * that (judged before the change), and nobody lifts a deny on themself.
   */
  private async assertMayLiftDeny(
    trx: Trx,
    holdings: Holdings,
    user: AccountFacts,
    permission: Permission,
    actor: Actor,
  ): Promise<void> {
    const label = permissionDef(permission).label;
    if (user.id === actor.user.id) {
      throw new ForbiddenError(`You cannot lift a deny on yourself (“${label}”); another admin must do it.`);
    }
    const target = await loadSubject(trx, { ...user, active: 1 });
    const without: Subject = {
      ...target,
      overrides: target.overrides.filter((o) => o.permission !== permission || o.effect !== 'deny'),
    };
    const mine = holdings.engine.breadth(holdings.subject, permission);
    const back = holdings.engine.breadth(without, permission);
    if (!mine || !coversBreadth(mine, back)) {
      throw new ForbiddenError(
        `You cannot lift the deny on “${label}” for ${user.name}: lifting it gives back a permission you do not hold yourself.`,
        { permissions: [permission] },
      );
    }
  }

  private async writeOverride(trx: Trx, userId: string, permission: string, input: Input, by: string, now: string) {
    await deleteOverride(trx, userId, permission);
    if (input.effect === 'inherit') return;
    await insertOverride(trx, {
      user_id: userId,
      permission,
      effect: input.effect,
      scope: input.scope,
      expires_at: input.expiresAt,
      reason: input.reason,
      granted_by: by,
      created_at: now,
    });
  }

  async set(ctx: Context, scope: Scope<'user'>, userId: string, permission: string, body: SetPermissionBody) {
    const input: Input = {
      effect: body.effect,
      scope: body.scope ?? 'any',
      expiresAt: body.expiresAt ?? null,
      reason: body.reason,
    };
    this.validate(permission, input);
    const result = await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const security = await loadSecurity(tx.db);
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      const r = await this.applyOne(
        tx,
        scope,
        holdings,
        userId,
        permission,
        input,
        security.criticalGrantsNeedApproval,
      );
      if (r.status === 'applied') await assertManagerRemains(tx.db, holdings.engine);
      return r;
    });
    const view = await this.forUser(ctx, scope, userId);
    return { ...result, item: view.items.find((i) => i.permission === permission) as PermissionState };
  }

  /** One change for many users: one transaction, one audit event per user. */
  async bulk(ctx: Context, scope: Scope<'user'>, body: BulkPermissionBody) {
    const input: Input = {
      effect: body.effect,
      scope: body.scope ?? 'any',
      expiresAt: body.expiresAt ?? null,
      reason: body.reason,
    };
    const permission = body.permission;
    this.validate(permission, input);
    const ids = [...new Set(body.userIds)];
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const security = await loadSecurity(tx.db);
      // Every user asked for must be within reach; one outside the scope is a 404 like a missing one.
      const allowed = await requireAccess(tx.db, scope, ids);
      if (allowed.size < ids.length) throw new NotFoundError('There is no user with that id.');
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      const counts = { applied: 0, unchanged: 0, pendingApproval: 0 };
      for (const id of ids) {
        const r = await this.applyOne(tx, scope, holdings, id, permission, input, security.criticalGrantsNeedApproval);
        if (r.status === 'applied') counts.applied++;
        else if (r.status === 'unchanged') counts.unchanged++;
        else counts.pendingApproval++;
      }
      await assertManagerRemains(tx.db, holdings.engine);
      return counts;
    });
  }

  async requests(ctx: Context, status: 'pending' | 'approved' | 'rejected' | 'all'): Promise<PermissionRequest[]> {
    const rows = await listRequests(ctx.db, status);
    return rows.map((r) => ({
      id: r.id,
      user: { id: r.user_id, name: r.user_name },
      permission: r.permission,
      scope: r.scope,
      expiresAt: r.expires_at,
      reason: r.reason,
      requestedBy: { id: r.by_id, name: r.by_name },
      requestedAt: r.requested_at,
      status: r.status,
      decidedBy: r.decided_by_name,
      decidedAt: r.decided_at,
    }));
  }

  /** A second admin approves (applies) or rejects a pending critical grant. */
  async decide(ctx: Context, id: string, approve: boolean): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      const { actor } = tx;
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const req = await getRequest(tx.db, id);
      if (!req) throw new NotFoundError('There is no such request.');
      if (req.status !== 'pending') throw new ConflictError(`This request was already ${req.status}.`);
      if (approve && req.requested_by === actor.user.id) {
        throw new ForbiddenError('A second admin must approve this grant; you asked for it yourself.');
      }
      if (approve && req.user_id === actor.user.id) {
        throw new ForbiddenError('A second admin must approve this grant; it is made out to you.');
      }
      if (approve && req.expires_at !== null && Date.parse(req.expires_at) <= this.deps.now()) {
        throw new ConflictError('This grant would already have expired; reject it and ask again.');
      }
      const now = this.iso();
      // Decided once, even without the access-change lock: only a still-pending request changes.
      const decided = await decideRequest(tx.db, id, {
        status: approve ? 'approved' : 'rejected',
        by: actor.user.id,
        at: now,
      });
      if (!decided) throw new ConflictError('This request was already decided.');
      if (approve) {
        const holdings = await requireReach(tx.db, this.deps.roles, actor, req.user_id);
        if (!isPermission(req.permission)) throw new ConflictError('That permission is no longer in the catalog.');
        assertHolds(holdings, req.permission, req.scope);
        await this.writeOverride(
          tx.db,
          req.user_id,
          req.permission,
          { effect: 'grant', scope: req.scope, expiresAt: req.expires_at, reason: req.reason },
          req.requested_by,
          now,
        );
      }
      await this.deps.audit.record(tx, {
        action: approve ? 'permissions.grant_approved' : 'permissions.grant_rejected',
        target: { type: 'user', id: req.user_id },
        after: { permission: req.permission, scope: req.scope, expiresAt: req.expires_at, request: id },
        reason: req.reason,
      });
    });
  }

  // --- roles ---------------------------------------------------------------------------------

  private async adminRoleKey(db: Db): Promise<string | null> {
    const business = await loadBusiness(db);
    return business ? TEMPLATES[business.template].adminRole : null;
  }

  /** Every role with its entries, parents and number of active users, read through the context. */
  async listRoles(ctx: Context): Promise<Role[]> {
    return this.rolesOn(ctx.db);
  }

  private async rolesOn(db: Db): Promise<Role[]> {
    const engine = await this.deps.roles.engine(db);
    const { rows, users } = await this.deps.roles.catalog(db);
    const locked = await this.adminRoleKey(db);
    const meta = new Map(rows.map((r) => [r.key, r]));
    return engine
      .roleDefs()
      .map((def) => ({
        key: def.key,
        name: def.name,
        description: meta.get(def.key)?.description ?? '',
        builtin: meta.get(def.key)?.builtin === 1,
        locked: def.key === locked,
        inherits: [...def.inherits],
        entries: { ...def.entries },
        users: users.get(def.key) ?? 0,
      }))
      .sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.name.localeCompare(b.name));
  }

  private checkEntries(entries: Record<string, string>): void {
    const unknown = Object.keys(entries).filter((p) => !isPermission(p));
    if (unknown.length > 0) {
      throw new ValidationError(`Not in the permission catalog: ${unknown.join(', ')}.`, [
        { path: 'entries', message: `Unknown permissions: ${unknown.join(', ')}` },
      ]);
    }
  }

  /** The engine once a role change is written, checking the role graph (cycles, unknown parents). */
  private async engineAfterChange(trx: Trx): Promise<Authz<Permission>> {
    try {
      return await this.deps.roles.engine(trx);
    } catch (err) {
      if (err instanceof RoleGraphError)
        throw new ValidationError(err.message, [{ path: 'inherits', message: err.message }]);
      throw err;
    }
  }

  private async assertParentsExist(trx: Trx, inherits: readonly string[]): Promise<void> {
    const known = await this.deps.roles.keys(trx);
    const unknown = inherits.filter((p) => !known.has(p));
    if (unknown.length > 0) {
      throw new ValidationError(`Unknown parent role: ${unknown.join(', ')}.`, [
        { path: 'inherits', message: `Unknown parent role: ${unknown.join(', ')}.` },
      ]);
    }
  }

  async createRole(ctx: Context, body: CreateRoleBody): Promise<Role> {
    this.checkEntries(body.entries ?? {});
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const security = await loadSecurity(tx.db);
      // Judged on what the actor holds before the role exists.
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      if ((await this.deps.roles.keys(tx.db)).has(body.key)) {
        throw new ConflictError(`A role with the key "${body.key}" already exists.`);
      }
      let inherits = body.inherits ?? [];
      let entries = body.entries ?? {};
      if (body.copyFrom) {
        const source = holdings.engine.roleDefs().find((r) => r.key === body.copyFrom);
        if (!source)
          throw new ValidationError(`There is no role "${body.copyFrom}" to copy.`, [
            { path: 'copyFrom', message: 'Unknown role.' },
          ]);
        inherits = [...new Set([...source.inherits, ...inherits])];
        entries = { ...source.entries, ...entries };
      }
      await this.assertParentsExist(tx.db, inherits);
      await this.deps.roles.insert(
        tx.db,
        [{ key: body.key, name: body.name, description: body.description ?? '', inherits, entries, builtin: false }],
        this.iso(),
      );
      const added = roleAdditions(null, await this.engineAfterChange(tx.db), body.key);
      assertRoleChangeWithinReach(holdings, added, 'create');
      assertNoCriticalWithoutApproval(added.keys(), `The role “${body.name}”`, security.criticalGrantsNeedApproval);
      const role = (await this.rolesOn(tx.db)).find((r) => r.key === body.key) as Role;
      await this.deps.audit.record(tx, {
        action: 'roles.create',
        target: { type: 'role', id: body.key },
        after: { name: role.name, inherits: role.inherits, entries: role.entries },
      });
      return role;
    });
  }

  async updateRole(ctx: Context, key: string, body: UpdateRoleBody): Promise<Role> {
    this.checkEntries(body.entries ?? {});
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const security = await loadSecurity(tx.db);
      // Judged on what the actor holds before the change, even when the role is their own:
      // an edit applied first would let it grant itself anything.
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      const before = (await this.rolesOn(tx.db)).find((r) => r.key === key);
      if (!before) throw new NotFoundError('There is no such role.');
      if (before.locked) {
        throw new ConflictError(`The ${before.name} role always holds every permission; it cannot be edited.`);
      }
      const inherits = [...new Set(body.inherits ?? [])];
      await this.assertParentsExist(tx.db, inherits);
      // Reach over a role: the actor must cover the role as it is (to change or take anything from it)...
      assertRoleWithinReach(holdings, key, 'change');
      await this.deps.roles.replace(
        tx.db,
        key,
        { name: body.name, description: body.description ?? before.description, inherits, entries: body.entries ?? {} },
        this.iso(),
      );
      const engine = await this.engineAfterChange(tx.db);
      // ...and everything the change adds to it (own entries or via inheritance), which every
      // role inheriting it gains too.
      const added = roleAdditions(holdings.engine, engine, key);
      assertRoleChangeWithinReach(holdings, added, 'change');
      assertNoCriticalWithoutApproval(
        added.keys(),
        `This change to the role “${before.name}”`,
        security.criticalGrantsNeedApproval,
      );
      await assertManagerRemains(tx.db, engine);
      const after = (await this.rolesOn(tx.db)).find((r) => r.key === key) as Role;
      await this.deps.audit.record(tx, {
        action: 'roles.update',
        target: { type: 'role', id: key },
        before: { name: before.name, inherits: before.inherits, entries: before.entries },
        after: { name: after.name, inherits: after.inherits, entries: after.entries },
      });
      return after;
    });
  }

  /** Removes a custom role that nobody uses and nothing inherits. */
  async deleteRole(ctx: Context, key: string): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const role = (await this.rolesOn(tx.db)).find((r) => r.key === key);
      if (!role) throw new NotFoundError('There is no such role.');
      if (role.builtin) throw new ConflictError('Built-in roles cannot be removed.');
      const refused = await this.deps.roles.remove(tx.db, key, this.iso());
      if (refused) throw new ConflictError(refused);
      await this.engineAfterChange(tx.db);
      await this.deps.audit.record(tx, {
        action: 'roles.delete',
        target: { type: 'role', id: key },
        before: { name: role.name, inherits: role.inherits, entries: role.entries },
      });
    });
  }
}

/**
 * Lifts every deny of one user (the way back for a locked-out admin, `steward admin recover`);
 * returns the permissions they were on. Call inside the transaction, after `lockAccessChanges`.
 */
export function liftDenies(trx: Trx, userId: string): Promise<string[]> {
  return deleteDenies(trx, userId);
}
