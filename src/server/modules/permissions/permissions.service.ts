import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
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
import { isPermission, permissionDef } from '../../../shared/permissions/catalog.ts';
import { TEMPLATES } from '../../../shared/permissions/templates.ts';
import { type Database, type Tx, transaction } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { requireAccess } from '../../db/scoped.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { insertRoles } from '../roles/roles.repository.ts';
import { RolesService } from '../roles/roles.service.ts';
import { getSetting } from '../settings/settings.repository.ts';
import { type Business, loadSecurity, SETTING } from '../settings/settings.service.ts';
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
import { loadSubject, subjectUser } from './subjects.ts';

type Deps = { database: Database; roles: RolesService; audit: AuditService; now: () => number };

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

  private async userOrThrow(db: Tx, scope: Scope<'user'>, id: string) {
    const user = await subjectUser(db, scope, id);
    if (!user) throw new NotFoundError('There is no user with that id.');
    return user;
  }

  private state(engine: Authz, subject: Subject, e: EffectiveEntry, pending: Map<string, string>): PermissionState {
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

  private async pendingFor(db: Tx, userId: string): Promise<Map<string, string>> {
    const rows = await db
      .selectFrom('permission_requests')
      .select(['id', 'permission'])
      .where('user_id', '=', userId)
      .where('status', '=', 'pending')
      .execute();
    return new Map(rows.map((r) => [r.permission, r.id]));
  }

  /** Every catalog permission for one user, with state and provenance (the permissions page). */
  async forUser(scope: Scope<'user'>, userId: string): Promise<UserPermissions> {
    const { db } = this.deps.database;
    const user = await this.userOrThrow(db, scope, userId);
    const engine = await this.deps.roles.engine();
    const subject = await loadSubject(db, user);
    const pending = await this.pendingFor(db, userId);
    return {
      user: {
        id: user.id,
        name: user.name,
        email: user.email,
        role: { key: user.role_key, name: user.role_name },
        active: user.active === 1,
      },
      items: engine.effective(subject).map((e) => this.state(engine, subject, e, pending)),
    };
  }

  async explain(scope: Scope<'user'>, userId: string, permission: string) {
    if (!isPermission(permission)) throw new NotFoundError(`"${permission}" is not a permission in the catalog.`);
    const { db } = this.deps.database;
    const user = await this.userOrThrow(db, scope, userId);
    const engine = await this.deps.roles.engine();
    return engine.explain(await loadSubject(db, user), permission);
  }

  private validate(permission: string, input: Input): void {
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
   * Applies one grant, deny or inherit inside `trx`. Returns what happened; a critical grant
   * becomes a request for a second admin when the setting asks for it.
   */
  private async applyOne(
    trx: Transaction<DB>,
    actor: Actor,
    scope: Scope<'user'>,
    holdings: Holdings,
    userId: string,
    permission: string,
    input: Input,
    needApproval: boolean,
    ctx: RequestContext,
  ): Promise<{ status: 'applied' | 'pending-approval' | 'unchanged'; requestId: string | null }> {
    const user = await this.userOrThrow(trx, scope, userId);
    await requireReach(trx, this.deps.roles, actor, userId, holdings);
    const now = this.iso();
    const before = await trx
      .selectFrom('user_overrides')
      .selectAll()
      .where('user_id', '=', userId)
      .where('permission', '=', permission)
      .executeTakeFirst();
    if (input.effect === 'grant') assertHolds(holdings, permission, input.scope);
    // Lifting a deny: removing it, or replacing it with one that ends (sooner).
    const lifts =
      before?.effect === 'deny' &&
      (input.effect === 'inherit' ||
        (input.effect === 'deny' &&
          input.expiresAt !== null &&
          (before.expires_at === null || Date.parse(input.expiresAt) < Date.parse(before.expires_at))));
    if (lifts) await this.assertMayLiftDeny(trx, holdings, user, permission, actor);
    const beforeView = before
      ? { effect: before.effect, scope: before.scope, expiresAt: before.expires_at, reason: before.reason }
      : { effect: 'inherit' };
    if (input.effect === 'inherit' && !before) return { status: 'unchanged', requestId: null };

    if (input.effect === 'grant' && permissionDef(permission).risk === 'critical' && needApproval) {
      const id = randomUUID();
      await trx
        .insertInto('permission_requests')
        .values({
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
        })
        .execute();
      await this.deps.audit.record(trx, {
        action: 'permissions.grant_requested',
        actor,
        target: { type: 'user', id: user.id },
        after: { permission, scope: input.scope, expiresAt: input.expiresAt, request: id },
        reason: input.reason,
        context: ctx,
      });
      return { status: 'pending-approval', requestId: id };
    }

    await this.writeOverride(trx, userId, permission, input, actor.user.id, now);
    await this.deps.audit.record(trx, {
      action: 'permissions.change',
      actor,
      target: { type: 'user', id: user.id },
      before: { permission, ...beforeView },
      after:
        input.effect === 'inherit'
          ? { permission, effect: 'inherit' }
          : { permission, effect: input.effect, scope: input.scope, expiresAt: input.expiresAt },
      reason: input.reason,
      context: ctx,
    });
    return { status: 'applied', requestId: null };
  }

  /**
   * Lifting a deny gives back whatever the target's roles and grants give: the actor must hold
   * that (judged before the change), and nobody lifts a deny on themself.
   */
  private async assertMayLiftDeny(
    trx: Tx,
    holdings: Holdings,
    user: { id: string; name: string; role_key: string; artist_id: string | null },
    permission: string,
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

  private async writeOverride(trx: Tx, userId: string, permission: string, input: Input, by: string, now: string) {
    await trx.deleteFrom('user_overrides').where('user_id', '=', userId).where('permission', '=', permission).execute();
    if (input.effect === 'inherit') return;
    await trx
      .insertInto('user_overrides')
      .values({
        user_id: userId,
        permission,
        effect: input.effect,
        scope: input.scope,
        expires_at: input.expiresAt,
        reason: input.reason,
        granted_by: by,
        created_at: now,
      })
      .execute();
  }

  async set(
    actor: Actor,
    scope: Scope<'user'>,
    userId: string,
    permission: string,
    body: SetPermissionBody,
    ctx: RequestContext,
  ) {
    const input: Input = {
      effect: body.effect,
      scope: body.scope ?? 'any',
      expiresAt: body.expiresAt ?? null,
      reason: body.reason,
    };
    this.validate(permission, input);
    const { db, engine: kind } = this.deps.database;
    const security = await loadSecurity(db);
    const result = await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const holdings = await holdingsOf(trx, this.deps.roles, actor);
      const r = await this.applyOne(
        trx,
        actor,
        scope,
        holdings,
        userId,
        permission,
        input,
        security.criticalGrantsNeedApproval,
        ctx,
      );
      if (r.status === 'applied') await assertManagerRemains(trx, holdings.engine);
      return r;
    });
    const view = await this.forUser(scope, userId);
    return { ...result, item: view.items.find((i) => i.permission === permission) as PermissionState };
  }

  /** One change for many users: one transaction, one audit event per user. */
  async bulk(actor: Actor, scope: Scope<'user'>, body: BulkPermissionBody, ctx: RequestContext) {
    const input: Input = {
      effect: body.effect,
      scope: body.scope ?? 'any',
      expiresAt: body.expiresAt ?? null,
      reason: body.reason,
    };
    this.validate(body.permission, input);
    const { db, engine: kind } = this.deps.database;
    const security = await loadSecurity(db);
    const ids = [...new Set(body.userIds)];
    return transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      // Every user asked for must be within reach; one outside the scope is a 404 like a missing one.
      const allowed = await requireAccess(trx, scope, ids);
      if (allowed.size < ids.length) throw new NotFoundError('There is no user with that id.');
      const holdings = await holdingsOf(trx, this.deps.roles, actor);
      const counts = { applied: 0, unchanged: 0, pendingApproval: 0 };
      for (const id of ids) {
        const r = await this.applyOne(
          trx,
          actor,
          scope,
          holdings,
          id,
          body.permission,
          input,
          security.criticalGrantsNeedApproval,
          ctx,
        );
        if (r.status === 'applied') counts.applied++;
        else if (r.status === 'unchanged') counts.unchanged++;
        else counts.pendingApproval++;
      }
      await assertManagerRemains(trx, holdings.engine);
      return counts;
    });
  }

  async requests(status: 'pending' | 'approved' | 'rejected' | 'all'): Promise<PermissionRequest[]> {
    let q = this.deps.database.db
      .selectFrom('permission_requests as r')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .innerJoin('users as by', 'by.id', 'r.requested_by')
      .leftJoin('users as dec', 'dec.id', 'r.decided_by')
      .select([
        'r.id',
        'r.permission',
        'r.scope',
        'r.expires_at',
        'r.reason',
        'r.requested_at',
        'r.status',
        'r.decided_at',
        'u.id as user_id',
        'u.name as user_name',
        'by.id as by_id',
        'by.name as by_name',
        'dec.name as decided_by_name',
      ]);
    if (status !== 'all') q = q.where('r.status', '=', status);
    const rows = await q.orderBy('r.requested_at', 'desc').limit(200).execute();
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
  async decide(actor: Actor, id: string, approve: boolean, ctx: RequestContext): Promise<void> {
    const { db, engine: kind } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const req = await trx.selectFrom('permission_requests').selectAll().where('id', '=', id).executeTakeFirst();
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
      const decided = await trx
        .updateTable('permission_requests')
        .set({ status: approve ? 'approved' : 'rejected', decided_by: actor.user.id, decided_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(decided.numUpdatedRows) === 0) throw new ConflictError('This request was already decided.');
      if (approve) {
        const holdings = await requireReach(trx, this.deps.roles, actor, req.user_id);
        assertHolds(holdings, req.permission, req.scope);
        await this.writeOverride(
          trx,
          req.user_id,
          req.permission,
          { effect: 'grant', scope: req.scope, expiresAt: req.expires_at, reason: req.reason },
          req.requested_by,
          now,
        );
      }
      await this.deps.audit.record(trx, {
        action: approve ? 'permissions.grant_approved' : 'permissions.grant_rejected',
        actor,
        target: { type: 'user', id: req.user_id },
        after: { permission: req.permission, scope: req.scope, expiresAt: req.expires_at, request: id },
        reason: req.reason,
        context: ctx,
      });
    });
  }

  // --- roles ---------------------------------------------------------------------------------

  private async adminRoleKey(db: Tx): Promise<string | null> {
    const business = await getSetting<Business>(db, SETTING.business);
    return business ? TEMPLATES[business.template].adminRole : null;
  }

  async listRoles(db: Tx = this.deps.database.db): Promise<Role[]> {
    const engine = await this.deps.roles.engine(db);
    const rows = await db.selectFrom('roles').select(['key', 'description', 'builtin']).execute();
    const counts = await db
      .selectFrom('users')
      .select(['role_key', (eb) => eb.fn.countAll<number>().as('n')])
      .where('active', '=', 1)
      .groupBy('role_key')
      .execute();
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
        users: Number(counts.find((c) => c.role_key === def.key)?.n ?? 0),
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

  /** Checks the role graph once the change is written (cycles, unknown parents). */
  private async engineAfterChange(trx: Tx): Promise<Authz> {
    await RolesService.bumpVersion(trx, this.iso());
    try {
      return await this.deps.roles.engine(trx);
    } catch (err) {
      if (err instanceof RoleGraphError)
        throw new ValidationError(err.message, [{ path: 'inherits', message: err.message }]);
      throw err;
    }
  }

  private async assertParentsExist(trx: Tx, inherits: readonly string[]): Promise<void> {
    const known = new Set((await trx.selectFrom('roles').select('key').execute()).map((r) => r.key));
    const unknown = inherits.filter((p) => !known.has(p));
    if (unknown.length > 0) {
      throw new ValidationError(`Unknown parent role: ${unknown.join(', ')}.`, [
        { path: 'inherits', message: `Unknown parent role: ${unknown.join(', ')}.` },
      ]);
    }
  }

  async createRole(actor: Actor, body: CreateRoleBody, ctx: RequestContext): Promise<Role> {
    this.checkEntries(body.entries ?? {});
    const { db, engine: kind } = this.deps.database;
    const security = await loadSecurity(db);
    return transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      // Judged on what the actor holds before the role exists.
      const holdings = await holdingsOf(trx, this.deps.roles, actor);
      const existing = await trx.selectFrom('roles').select('key').where('key', '=', body.key).executeTakeFirst();
      if (existing) throw new ConflictError(`A role with the key "${body.key}" already exists.`);
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
      await this.assertParentsExist(trx, inherits);
      await insertRoles(
        trx,
        [{ key: body.key, name: body.name, description: body.description ?? '', inherits, entries, builtin: false }],
        this.iso(),
      );
      const added = roleAdditions(null, await this.engineAfterChange(trx), body.key);
      assertRoleChangeWithinReach(holdings, added, 'create');
      assertNoCriticalWithoutApproval(added.keys(), `The role “${body.name}”`, security.criticalGrantsNeedApproval);
      const role = (await this.listRoles(trx)).find((r) => r.key === body.key) as Role;
      await this.deps.audit.record(trx, {
        action: 'roles.create',
        actor,
        target: { type: 'role', id: body.key },
        after: { name: role.name, inherits: role.inherits, entries: role.entries },
        context: ctx,
      });
      return role;
    });
  }

  async updateRole(actor: Actor, key: string, body: UpdateRoleBody, ctx: RequestContext): Promise<Role> {
    this.checkEntries(body.entries ?? {});
    const { db, engine: kind } = this.deps.database;
    const security = await loadSecurity(db);
    return transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      // Judged on what the actor holds before the change, even when the role is their own:
      // an edit applied first would let it grant itself anything.
      const holdings = await holdingsOf(trx, this.deps.roles, actor);
      const before = (await this.listRoles(trx)).find((r) => r.key === key);
      if (!before) throw new NotFoundError('There is no such role.');
      if (before.locked) {
        throw new ConflictError(`The ${before.name} role always holds every permission; it cannot be edited.`);
      }
      const inherits = [...new Set(body.inherits ?? [])];
      await this.assertParentsExist(trx, inherits);
      // Reach over a role: the actor must cover the role as it is (to change or take anything from it)...
      assertRoleWithinReach(holdings, key, 'change');
      const entries = body.entries ?? {};
      const now = this.iso();
      await trx
        .updateTable('roles')
        .set({ name: body.name, description: body.description ?? before.description, updated_at: now })
        .where('key', '=', key)
        .execute();
      await trx.deleteFrom('role_parents').where('role_key', '=', key).execute();
      for (const parent of inherits)
        await trx.insertInto('role_parents').values({ role_key: key, parent_key: parent }).execute();
      await trx.deleteFrom('role_entries').where('role_key', '=', key).execute();
      const rows = Object.entries(entries).map(([permission, policy]) => ({ role_key: key, permission, policy }));
      if (rows.length > 0) await trx.insertInto('role_entries').values(rows).execute();
      const engine = await this.engineAfterChange(trx);
      // ...and everything the change adds to it (own entries or via inheritance), which every
      // role inheriting it gains too.
      const added = roleAdditions(holdings.engine, engine, key);
      assertRoleChangeWithinReach(holdings, added, 'change');
      assertNoCriticalWithoutApproval(
        added.keys(),
        `This change to the role “${before.name}”`,
        security.criticalGrantsNeedApproval,
      );
      await assertManagerRemains(trx, engine);
      const after = (await this.listRoles(trx)).find((r) => r.key === key) as Role;
      await this.deps.audit.record(trx, {
        action: 'roles.update',
        actor,
        target: { type: 'role', id: key },
        before: { name: before.name, inherits: before.inherits, entries: before.entries },
        after: { name: after.name, inherits: after.inherits, entries: after.entries },
        context: ctx,
      });
      return after;
    });
  }

  /** Removes a custom role that nobody uses and nothing inherits. */
  async deleteRole(actor: Actor, key: string, ctx: RequestContext): Promise<void> {
    const { db, engine: kind } = this.deps.database;
    await transaction(db, async (trx) => {
      await lockAccessChanges(trx, kind);
      const role = (await this.listRoles(trx)).find((r) => r.key === key);
      if (!role) throw new NotFoundError('There is no such role.');
      if (role.builtin) throw new ConflictError('Built-in roles cannot be removed.');
      const anyUser = await trx.selectFrom('users').select('id').where('role_key', '=', key).executeTakeFirst();
      if (anyUser) throw new ConflictError('Users (active or not) still have this role; give them another role first.');
      const child = await trx
        .selectFrom('role_parents')
        .select('role_key')
        .where('parent_key', '=', key)
        .executeTakeFirst();
      if (child) throw new ConflictError(`The role "${child.role_key}" inherits this role; change it first.`);
      await trx.deleteFrom('roles').where('key', '=', key).execute();
      await this.engineAfterChange(trx);
      await this.deps.audit.record(trx, {
        action: 'roles.delete',
        actor,
        target: { type: 'role', id: key },
        before: { name: role.name, inherits: role.inherits, entries: role.entries },
        context: ctx,
      });
    });
  }
}
