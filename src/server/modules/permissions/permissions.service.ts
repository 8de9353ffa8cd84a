import { randomUUID } from 'node:crypto';
import {
  type Authz,
  type Breadth,
  type EffectiveEntry,
  type Override,
  type RoleDef,
  RoleGraphError,
  type Subject,
} from '../../../authz/index.ts';
import type {
  BulkPermissionBody,
  CreateRoleBody,
  PermissionRequest,
  PermissionState,
  Role,
  RoleChangePending,
  RoleRequest,
  SetPermissionBody,
  UpdateRoleBody,
  UserPermissions,
} from '../../../shared/contracts/permissions.ts';
import { isPermission, type Permission, permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
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
  assertGrantLeavesNoGap,
  assertHolds,
  assertManagerRemains,
  assertReachOver,
  assertRoleChangeWithinReach,
  assertRolesLeaveNoGap,
  assertRoleWithinReach,
  coversBreadth,
  criticalOf,
  gapsOpened,
  type Holdings,
  holdingsOf,
  holdingsOfUser,
  lockAccessChanges,
  requireReach,
  roleAdditions,
} from './guard-rails.ts';
import {
  type AccountFacts,
  accountFacts,
  assignApprovedRole,
  decideRequest,
  decideRoleRequest,
  deleteDenies,
  deleteOverride,
  getOverride,
  getRequest,
  getRoleRequest,
  insertOverride,
  insertRequest,
  listRequests,
  listRoleRequests,
  pendingRequestsOf,
  subjectUser,
} from './permissions.repository.ts';
import { type AssignPayload, type RoleFieldsPayload, requestRoleChange } from './role-requests.ts';
import { loadSubject } from './subjects.ts';

/** A role change judged but not yet written (or stored as a request). */
type RolePlan = {
  kind: 'create' | 'update';
  key: string;
  fields: RoleFieldsPayload;
  engine: Authz<Permission>;
  added: Map<string, Breadth>;
  before: Role | null;
};

/** `database` is only asked which engine it runs (for the access-change lock); handles come from the context. */
type Deps = {
  database: Pick<Database, 'engine'>;
  roles: RolesService;
  audit: AuditService;
  now: () => number;
};

type Input = Required<Pick<BulkPermissionBody, 'effect' | 'scope' | 'reason'>> & {
  expiresAt: string | null;
  /** With a deny (or the end of a grant): deny too whatever needed it (e.g. export, when denying view). */
  alsoDenyDependents?: boolean;
};

type Outcome = {
  status: 'applied' | 'pending-approval' | 'unchanged';
  requestId: string | null;
  /** Permissions the user still has entries for that are no longer in effect after this change. */
  dependents: Permission[];
  /** Permissions denied along with this change (`alsoDenyDependents`). */
  alsoDenied: Permission[];
};

/** The subject with `permission`'s override replaced as `input` says. */
function withOverride(subject: Subject, permission: Permission, input: Input): Subject {
  const others = subject.overrides.filter((o) => o.permission !== permission);
  if (input.effect === 'inherit') return { ...subject, overrides: others };
  const o: Override = {
    permission,
    effect: input.effect,
    scope: input.scope,
    expiresAt: input.expiresAt === null ? null : Date.parse(input.expiresAt),
  };
  return { ...subject, overrides: [...others, o] };
}

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

/**
 * What to tell the admin after a deny (or the end of a grant) left entries that need the permission:
 * they are kept but not in effect; deny them too to make it plain.
 */
function dependentsWarning(dependents: readonly string[], permission: string, name: string): string | null {
  if (dependents.length === 0) return null;
  const labels = dependents.map((d) => `“${permissionDef(d).label}”`);
  const list = labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}` : labels[0];
  return (
    `${name} still has ${list}, which ${dependents.length > 1 ? 'need' : 'needs'} “${permissionDef(permission).label}”: ` +
    `${dependents.length > 1 ? 'they stay' : 'it stays'} without effect until “${permissionDef(permission).label}” is back. Deny ${dependents.length > 1 ? 'them' : 'it'} too to make that plain.`
  );
}

/**
 * What any waiting request (a critical grant, a role change) must be to be decided by `actorId`:
 * there, still pending, and, to approve it, neither asked for by nor made out to the approver.
 */
function decidable(
  req: { status: string; requested_by: string; user_id: string | null } | undefined,
  actorId: string,
  approve: boolean,
  words: { what: string; forYou: string },
): asserts req {
  if (!req) throw new NotFoundError('There is no such request.');
  if (req.status !== 'pending') throw new ConflictError(`This request was already ${req.status}.`);
  if (approve && req.requested_by === actorId) {
    throw new ForbiddenError(`A second admin must approve this ${words.what}; you asked for it yourself.`);
  }
  if (approve && req.user_id === actorId) {
    throw new ForbiddenError(`A second admin must approve this ${words.what}; ${words.forYou}.`);
  }
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
  ): Promise<Outcome> {
    const { actor } = tx;
    const { facts: user } = await this.userOrThrow(tx, scope, userId);
    await requireReach(tx.db, this.deps.roles, actor, user, holdings);
    const now = this.iso();
    const before = await getOverride(tx.db, userId, permission);
    if (input.effect === 'grant') assertHolds(holdings, permission, input.scope);
    // Prerequisites (shared/permissions/requires.ts): a grant that would give a permission without
    // one it needs is refused; a deny (or the end of a grant) that leaves entries without what they
    // need is applied — taking access away is never blocked — and names them, or denies them too.
    const target = await loadSubject(tx.db, { ...user, active: 1 });
    const changed = withOverride(target, permission, input);
    const nowMs = this.deps.now();
    if (input.effect === 'grant') {
      assertGrantLeavesNoGap(holdings.engine, target, changed, user.name, nowMs);
    }
    const dependents =
      input.effect === 'grant'
        ? []
        : [...new Set(gapsOpened(holdings.engine, target, changed, nowMs).map((g) => g.permission))];
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
    if (input.effect === 'inherit' && !before)
      return { status: 'unchanged', requestId: null, dependents, alsoDenied: [] };

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
      return { status: 'pending-approval', requestId: id, dependents, alsoDenied: [] };
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
    const alsoDenied: Permission[] = [];
    if (input.alsoDenyDependents) {
      for (const dependent of dependents) {
        const was = await getOverride(tx.db, userId, dependent);
        const deny: Input = { effect: 'deny', scope: 'any', expiresAt: input.expiresAt, reason: input.reason };
        await this.writeOverride(tx.db, userId, dependent, deny, actor.user.id, now);
        await this.deps.audit.record(tx, {
          action: 'permissions.change',
          target: { type: 'user', id: user.id },
          before: was
            ? { permission: dependent, effect: was.effect, scope: was.scope, expiresAt: was.expires_at }
            : { permission: dependent, effect: 'inherit' },
          after: { permission: dependent, effect: 'deny', scope: 'any', expiresAt: input.expiresAt, with: permission },
          reason: input.reason,
        });
        alsoDenied.push(dependent);
      }
    }
    return {
      status: 'applied',
      requestId: null,
      dependents: dependents.filter((d) => !alsoDenied.includes(d)),
      alsoDenied,
    };
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
      alsoDenyDependents: body.alsoDenyDependents ?? false,
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
    return {
      ...result,
      warning: dependentsWarning(result.dependents, permission, view.user.name),
      item: view.items.find((i) => i.permission === permission) as PermissionState,
    };
  }

  /** One change for many users: one transaction, one audit event per user. */
  async bulk(ctx: Context, scope: Scope<'user'>, body: BulkPermissionBody) {
    const input: Input = {
      effect: body.effect,
      scope: body.scope ?? 'any',
      expiresAt: body.expiresAt ?? null,
      reason: body.reason,
      alsoDenyDependents: body.alsoDenyDependents ?? false,
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
      const counts = { applied: 0, unchanged: 0, pendingApproval: 0, dependents: [] as string[], alsoDenied: 0 };
      for (const id of ids) {
        const r = await this.applyOne(tx, scope, holdings, id, permission, input, security.criticalGrantsNeedApproval);
        for (const d of r.dependents) if (!counts.dependents.includes(d)) counts.dependents.push(d);
        counts.alsoDenied += r.alsoDenied.length;
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
      decidable(req, actor.user.id, approve, { what: 'grant', forYou: 'it is made out to you' });
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
        // Re-checked now: the view it needs may have been denied while the request waited.
        const facts = await accountFacts(tx.db, req.user_id);
        if (facts) {
          const target = await loadSubject(tx.db, { ...facts, active: 1 });
          const grant: Input = { effect: 'grant', scope: req.scope, expiresAt: req.expires_at, reason: req.reason };
          assertGrantLeavesNoGap(
            holdings.engine,
            target,
            withOverride(target, req.permission, grant),
            facts.name,
            this.deps.now(),
          );
        }
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

  /** The engine the roles would make with `def` added (or replacing the role of its key). */
  private proposedEngine(holdings: Holdings, def: RoleDef): Authz<Permission> {
    const defs = holdings.engine.roleDefs().filter((r) => r.key !== def.key);
    try {
      return this.deps.roles.engineFor([...defs, def]);
    } catch (err) {
      if (err instanceof RoleGraphError)
        throw new ValidationError(err.message, [{ path: 'inherits', message: err.message }]);
      throw err;
    }
  }

  /**
   * Judges a new role as `holdings` would create it, without writing: the key is free, the parents
   * exist, the actor holds what it gives, and no role gives a permission without one it needs.
   */
  private async planCreate(db: Trx, holdings: Holdings, body: CreateRoleBody): Promise<RolePlan> {
    if ((await this.deps.roles.keys(db)).has(body.key)) {
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
    await this.assertParentsExist(db, inherits);
    const fields = { name: body.name, description: body.description ?? '', inherits: [...inherits], entries };
    const engine = this.proposedEngine(holdings, { key: body.key, ...fields });
    const added = roleAdditions(null, engine, body.key);
    assertRoleChangeWithinReach(holdings, added, 'create');
    assertRolesLeaveNoGap(holdings.engine, engine);
    return { kind: 'create', key: body.key, fields, engine, added, before: null };
  }

  /** Judges an edit of role `key` as `holdings` would make it, without writing (see `updateRole`). */
  private async planUpdate(
    db: Trx,
    holdings: Holdings,
    key: string,
    body: { name: string; description?: string | undefined; inherits?: string[]; entries?: Record<string, Policy> },
  ): Promise<RolePlan> {
    const before = (await this.rolesOn(db)).find((r) => r.key === key);
    if (!before) throw new NotFoundError('There is no such role.');
    if (before.locked) {
      throw new ConflictError(`The ${before.name} role always holds every permission; it cannot be edited.`);
    }
    const inherits = [...new Set(body.inherits ?? [])];
    await this.assertParentsExist(db, inherits);
    // Reach over a role: the actor must cover the role as it is (to change or take anything from it)...
    assertRoleWithinReach(holdings, key, 'change');
    const fields = {
      name: body.name,
      description: body.description ?? before.description,
      inherits,
      entries: body.entries ?? {},
    };
    const engine = this.proposedEngine(holdings, { key, ...fields });
    // ...and everything the change adds to it (own entries or via inheritance), which every
    // role inheriting it gains too.
    const added = roleAdditions(holdings.engine, engine, key);
    assertRoleChangeWithinReach(holdings, added, 'change');
    assertRolesLeaveNoGap(holdings.engine, engine);
    await assertManagerRemains(db, engine);
    return { kind: 'update', key, fields, engine, added, before };
  }

  /** Writes a planned role change with its audit event. */
  private async applyRole(tx: TxContext, plan: RolePlan): Promise<Role> {
    const now = this.iso();
    if (plan.kind === 'create') {
      await this.deps.roles.insert(tx.db, [{ key: plan.key, ...plan.fields, builtin: false }], now);
    } else {
      await this.deps.roles.replace(tx.db, plan.key, plan.fields, now);
    }
    const role = (await this.rolesOn(tx.db)).find((r) => r.key === plan.key) as Role;
    await this.deps.audit.record(tx, {
      action: plan.kind === 'create' ? 'roles.create' : 'roles.update',
      target: { type: 'role', id: plan.key },
      ...(plan.before
        ? { before: { name: plan.before.name, inherits: plan.before.inherits, entries: plan.before.entries } }
        : {}),
      after: { name: role.name, inherits: role.inherits, entries: role.entries },
    });
    return role;
  }

  /** A planned change that adds a critical permission waits for a second admin when the setting asks. */
  private async applyOrRequest(tx: TxContext, plan: RolePlan): Promise<Role | RoleChangePending> {
    const security = await loadSecurity(tx.db);
    const critical = criticalOf(plan.added.keys());
    if (!security.criticalGrantsNeedApproval || critical.length === 0) return this.applyRole(tx, plan);
    return requestRoleChange(
      tx,
      this.deps.audit,
      { kind: plan.kind, roleKey: plan.key, roleName: plan.fields.name, user: null, payload: plan.fields },
      critical,
      null,
      this.iso(),
    );
  }

  async createRole(ctx: Context, body: CreateRoleBody): Promise<Role | RoleChangePending> {
    this.checkEntries(body.entries ?? {});
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      // Judged on what the actor holds before the role exists.
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      return this.applyOrRequest(tx, await this.planCreate(tx.db, holdings, body));
    });
  }

  async updateRole(ctx: Context, key: string, body: UpdateRoleBody): Promise<Role | RoleChangePending> {
    this.checkEntries(body.entries ?? {});
    return inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.database.engine);
      // Judged on what the actor holds before the change, even when the role is their own:
      // an edit applied first would let it grant itself anything.
      const holdings = await holdingsOf(tx.db, this.deps.roles, tx.actor);
      return this.applyOrRequest(tx, await this.planUpdate(tx.db, holdings, key, body));
    });
  }

  async roleRequests(ctx: Context, status: 'pending' | 'approved' | 'rejected' | 'all'): Promise<RoleRequest[]> {
    const rows = await listRoleRequests(ctx.db, status);
    const names = new Map((await this.rolesOn(ctx.db)).map((r) => [r.key, r.name]));
    return rows.map((r) => {
      const payload = JSON.parse(r.payload) as Partial<RoleFieldsPayload & AssignPayload>;
      const critical = JSON.parse(r.critical) as string[];
      return {
        id: r.id,
        kind: r.kind,
        role: { key: r.role_key, name: names.get(r.role_key) ?? payload.name ?? r.role_key },
        user: r.user_id ? { id: r.user_id, name: r.user_name ?? '' } : null,
        from: payload.from ?? null,
        entries: payload.entries ?? null,
        inherits: payload.inherits ?? null,
        critical: critical.map((p) => ({ permission: p, label: isPermission(p) ? permissionDef(p).label : p })),
        reason: r.reason,
        requestedBy: { id: r.by_id, name: r.by_name },
        requestedAt: r.requested_at,
        status: r.status,
        decidedBy: r.decided_by_name,
        decidedAt: r.decided_at,
      };
    });
  }

  /**
   * Another admin approves (applies) or rejects a waiting role change. Approval re-checks
   * everything at that moment, for the approver and for whoever asked (both must still cover it):
   * reach, prerequisites, and that someone still runs the accounts. Nobody approves their own
   * request, a role for themself, or an edit that gives themself a critical permission.
   */
  async decideRole(ctx: Context, id: string, approve: boolean): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      const { actor } = tx;
      await lockAccessChanges(tx.db, this.deps.database.engine);
      const req = await getRoleRequest(tx.db, id);
      decidable(req, actor.user.id, approve, { what: 'change', forYou: 'it gives the role to you' });
      // Decided once, even without the access-change lock: only a still-pending request changes.
      const decided = await decideRoleRequest(tx.db, id, {
        status: approve ? 'approved' : 'rejected',
        by: actor.user.id,
        at: this.iso(),
      });
      if (!decided) throw new ConflictError('This request was already decided.');
      const critical = JSON.parse(req.critical) as string[];
      if (approve) {
        const approver = await holdingsOf(tx.db, this.deps.roles, actor);
        const requester = await holdingsOfUser(tx.db, this.deps.roles, req.requested_by);
        if (req.kind === 'assign') {
          await this.approveAssignment(tx, approver, requester, req);
        } else {
          const fields = JSON.parse(req.payload) as RoleFieldsPayload;
          this.checkEntries(fields.entries);
          const body = { key: req.role_key, ...fields };
          // Whoever asked must still be able to make the change themself, bar the approval.
          if (req.kind === 'create') await this.planCreate(tx.db, requester, body);
          else await this.planUpdate(tx.db, requester, req.role_key, fields);
          const plan =
            req.kind === 'create'
              ? await this.planCreate(tx.db, approver, body)
              : await this.planUpdate(tx.db, approver, req.role_key, fields);
          const gained = criticalOf(
            plan.engine.permissions.filter(
              (p) =>
                !coversBreadth(approver.engine.breadth(approver.subject, p), plan.engine.breadth(approver.subject, p)),
            ),
          );
          if (gained.length > 0) {
            throw new ForbiddenError(
              `A second admin must approve this change: it would give you ${gained.map((p) => `“${permissionDef(p).label}”`).join(', ')}.`,
            );
          }
          await this.applyRole(tx, plan);
        }
      }
      await this.deps.audit.record(tx, {
        action: approve ? 'roles.request_approved' : 'roles.request_rejected',
        target: req.user_id ? { type: 'user', id: req.user_id } : { type: 'role', id: req.role_key },
        after: { kind: req.kind, role: req.role_key, critical, request: id },
        reason: req.reason,
      });
    });
  }

  /** Applies an approved role assignment, re-checked as `PUT /users/:id/role` checks it. */
  private async approveAssignment(
    tx: TxContext,
    approver: Holdings,
    requester: Holdings,
    req: { user_id: string | null; payload: string; requested_by: string },
  ): Promise<void> {
    const { roleKey, from } = JSON.parse(req.payload) as AssignPayload;
    const target = req.user_id ? await accountFacts(tx.db, req.user_id) : undefined;
    if (!target) throw new NotFoundError('There is no user with that id.');
    if (target.role_key !== from) {
      throw new ConflictError(`${target.name}’s role has changed since this was asked; reject it and ask again.`);
    }
    if (!approver.engine.hasRole(roleKey)) throw new ConflictError('That role no longer exists; reject the request.');
    for (const [holdings, holderId] of [
      [requester, req.requested_by],
      [approver, tx.actor.user.id],
    ] as const) {
      await assertReachOver(tx.db, holdings, holderId, target);
      assertRoleWithinReach(holdings, roleKey);
      assertRoleWithinReach(holdings, from, 'take away');
    }
    await assignApprovedRole(tx.db, target.id, roleKey, this.iso());
    await assertManagerRemains(tx.db, approver.engine);
    await this.deps.audit.record(tx, {
      action: 'roles.assigned',
      target: { type: 'user', id: target.id },
      before: { role: from },
      after: { role: roleKey },
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
