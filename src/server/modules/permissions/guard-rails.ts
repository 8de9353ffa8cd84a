/**
 * The rules that keep access administration safe (product.md, permission model §8):
 * nobody grants or assigns what they do not hold, and somebody can always manage permissions.
 * Part of the permissions module's service layer: other modules (users, auth, security) call
 * these to judge a change; the SQL they need is in permissions.repository.ts.
 */
import type { Authz, Breadth, Subject } from '../../../authz/index.ts';
import { type Permission, permissionDef } from '../../../shared/permissions/catalog.ts';
import { describeGaps, type Gap, gapsIn, newGaps } from '../../../shared/permissions/requires.ts';
import { type Engine, lockChain } from '../../db/dialect.ts';
import type { Actor } from '../../http/actor.ts';
import { ConflictError, HttpError, NotFoundError } from '../../http/errors.ts';
import type { Db, Trx } from '../context.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { type AccountFacts, accountFacts, accountFactsOf } from './permissions.repository.ts';
import { loadActiveSubjects, loadSubject, loadSubjects } from './subjects.ts';

export type { AccountFacts };

const ACCESS_LOCK = 0x5354_4143; // "STAC"

/**
 * Serializes transactions that change who may do what (roles, overrides, user roles, activation),
 * so two admins removing each other's rights at the same moment cannot both pass the
 * "somebody can still manage permissions" check. Call first in the transaction.
 */
export function lockAccessChanges(trx: Trx, engine: Engine): Promise<void> {
  return lockChain(trx, engine, ACCESS_LOCK);
}

export class NotHeldError extends HttpError {
  constructor(detail: string, permissions: string[]) {
    super(403, 'not-held', 'You do not hold that permission', detail, { extra: { permissions } });
  }
}

/**
 * Whether a holding covers a need: `allow` covers everything; otherwise each narrower form
 * (`own`, `elevated`) must be held itself. An `own` or `elevated` holding never covers `allow`,
 * and being elevated right now does not count as holding `allow`.
 */
export function coversBreadth(holder: Breadth | null, needed: Breadth | null): boolean {
  if (!needed || !(needed.allow || needed.own || needed.elevated)) return true;
  if (!holder) return false;
  if (holder.allow) return true;
  if (needed.allow) return false;
  return (!needed.own || holder.own) && (!needed.elevated || holder.elevated);
}

function describe(permissions: string[]): string {
  const labels = permissions.slice(0, 5).map((p) => `“${permissionDef(p).label}”`);
  return permissions.length > 5 ? `${labels.join(', ')} and ${permissions.length - 5} more` : labels.join(', ');
}

/**
 * What the actor holds, read inside the transaction after `lockAccessChanges` (so a change
 * committed a moment ago counts, and the request's own change does not): every guard rail below
 * judges against this, never against the subject read when the request arrived.
 */
export type Holdings = { readonly engine: Authz<Permission>; readonly subject: Subject };

export async function holdingsOf(db: Db, roles: RolesService, actor: Actor): Promise<Holdings> {
  const engine = await roles.engine(db);
  const row = await accountFacts(db, actor.user.id);
  if (!row) return { engine, subject: { ...actor.subject, active: false } };
  const subject = await loadSubject(db, row, actor.subject.elevatedUntil, actor.subject.limitTo ?? null);
  return { engine, subject };
}

/**
 * What another user holds (e.g. whoever asked for a change a second admin now approves), read
 * inside the transaction; a missing or deactivated account holds nothing.
 */
export async function holdingsOfUser(db: Db, roles: RolesService, userId: string): Promise<Holdings> {
  const engine = await roles.engine(db);
  const row = await accountFacts(db, userId);
  const subject: Subject = row
    ? await loadSubject(db, row)
    : { id: userId, active: false, roles: [], overrides: [], elevatedUntil: null, ownerIds: [] };
  return { engine, subject };
}

/**
 * Reach as `requireReach` judges it, for any holder (not only the request's actor): refuses when
 * `holdings` do not cover everything the target account holds. `holderId` acting on themself passes.
 */
export async function assertReachOver(db: Db, holdings: Holdings, holderId: string, target: AccountFacts) {
  if (target.id === holderId) return;
  const subject = await loadSubject(db, { ...target, active: 1 });
  const missing = uncovered(holdings, (p) => holdings.engine.breadth(subject, p));
  if (missing.length > 0) throw new OutOfReachError(target.name, missing);
}

/** The critical permissions among `permissions`. */
export function criticalOf(permissions: Iterable<string>): Permission[] {
  return [...permissions].filter((p) => permissionDef(p).risk === 'critical') as Permission[];
}

/** What `engine` gives someone with only `roleKey` (no overrides), permission by permission. */
function roleProbe(roleKey: string): Subject {
  return { id: '\u0000probe', active: true, roles: [roleKey], overrides: [], elevatedUntil: null, ownerIds: [] };
}

/** The permissions `needs` gives that `holdings` does not cover. */
function uncovered(holdings: Holdings, needs: (permission: Permission) => Breadth | null): Permission[] {
  return holdings.engine.permissions.filter(
    (p) => !coversBreadth(holdings.engine.breadth(holdings.subject, p), needs(p)),
  );
}

/** Refuses a grant of `permission` (any or own) by someone who does not hold it that widely. */
export function assertHolds(holdings: Holdings, permission: Permission, scope: 'any' | 'own'): void {
  const needed = { allow: scope === 'any', own: scope === 'own', elevated: false };
  if (!coversBreadth(holdings.engine.breadth(holdings.subject, permission), needed)) {
    throw new NotHeldError(
      `You cannot grant ${describe([permission])}${scope === 'own' ? ' (own records)' : ''} because you do not hold it yourself.`,
      [permission],
    );
  }
}

/** Refuses assigning (or taking away) a role that gives anything the actor does not hold. */
export function assertRoleWithinReach(holdings: Holdings, roleKey: string, verb = 'assign'): void {
  const probe = roleProbe(roleKey);
  const missing = uncovered(holdings, (p) => holdings.engine.breadth(probe, p));
  if (missing.length > 0) {
    throw new NotHeldError(
      `You cannot ${verb} this role: it gives ${describe(missing)}, which you do not hold yourself.`,
      missing,
    );
  }
}

/** What a role change adds to the role's effective set (own entries and inheritance), per permission. */
export function roleAdditions(
  before: Authz<Permission> | null,
  after: Authz<Permission>,
  roleKey: string,
): Map<string, Breadth> {
  const probe = roleProbe(roleKey);
  const added = new Map<string, Breadth>();
  for (const p of after.permissions) {
    const a = after.breadth(probe, p);
    if (!a) continue;
    const b = before?.hasRole(roleKey) ? before.breadth(probe, p) : null;
    if (coversBreadth(b, a)) continue;
    added.set(p, { allow: a.allow && !b?.allow, own: a.own && !b?.own, elevated: a.elevated && !b?.elevated });
  }
  return added;
}

/**
 * Refuses creating or editing a role so that it (and every role inheriting it, and everyone
 * holding any of them, the actor included) gains something the actor did not hold before the
 * change. `holdings` must be read before the change is written.
 */
export function assertRoleChangeWithinReach(holdings: Holdings, added: Map<string, Breadth>, verb: string): void {
  const missing = uncovered(holdings, (p) => added.get(p) ?? null);
  if (missing.length > 0) {
    throw new NotHeldError(
      `You cannot ${verb} this role: it would give ${describe(missing)}, which you do not hold yourself.`,
      missing,
    );
  }
}

export class OutOfReachError extends HttpError {
  constructor(name: string, permissions: string[]) {
    super(
      403,
      'out-of-reach',
      'They hold more than you',
      `You can’t change ${name}’s account: they hold permissions you don’t (${describe(permissions)}).`,
      { extra: { permissions } },
    );
  }
}

/**
 * Reach: acting on another account (password, email or name, sessions, activation, role,
 * permissions, API keys) requires covering everything the target holds, with at least the same
 * breadth. The one place this rule lives; call it inside the transaction, after
 * `lockAccessChanges`, so two people acting on each other at once are judged one after the other.
 * Acting on your own account is not "another account" and passes. `target` is the target's id,
 * or its row when the caller has just read it in the same transaction (no second read). Returns
 * the actor's holdings.
 */
export async function requireReach(
  db: Db,
  roles: RolesService,
  actor: Actor,
  target: string | AccountFacts,
  holdings?: Holdings,
): Promise<Holdings> {
  const mine = holdings ?? (await holdingsOf(db, roles, actor));
  const targetId = typeof target === 'string' ? target : target.id;
  if (targetId === actor.user.id) return mine;
  const row = typeof target === 'string' ? await accountFacts(db, target) : target;
  if (!row) throw new NotFoundError('There is no user with that id.');
  // A deactivated account is judged by what it would hold again once reactivated.
  await assertReachOver(db, mine, actor.user.id, row);
  return mine;
}

/**
 * The subset of `userIds` the actor covers (themself included), judged as `requireReach` judges
 * one but with one read of the accounts and one of their overrides (for filtering a list by
 * owner, e.g. API keys, without loading each owner on its own). Unknown ids are left out.
 */
export async function withinReachOf(
  db: Db,
  holdings: Holdings,
  actor: Actor,
  userIds: readonly string[],
): Promise<Set<string>> {
  const ids = new Set(userIds);
  const out = new Set<string>();
  if (ids.delete(actor.user.id)) out.add(actor.user.id);
  const rows = await accountFactsOf(db, [...ids]);
  const subjects = await loadSubjects(
    db,
    rows.map((r) => ({ ...r, active: 1 })),
  );
  for (const subject of subjects) {
    if (uncovered(holdings, (p) => holdings.engine.breadth(subject, p)).length === 0) out.add(subject.id);
  }
  return out;
}

export class SecondAdminRequiredError extends HttpError {
  constructor(detail: string, permissions: string[]) {
    super(403, 'second-admin-required', 'A second admin must approve this', detail, { extra: { permissions } });
  }
}

/**
 * "Critical grants need a second admin" (security setting) for a new account: an account cannot
 * wait for approval before it exists, so creating one with a role that gives a critical permission
 * is refused, pointing to the way that works — create it with another role, then change its role
 * (that change waits for a second admin, like role edits and per-user grants).
 */
export function assertNoCriticalWithoutApproval(permissions: Iterable<string>, what: string, on: boolean): void {
  if (!on) return;
  const critical = criticalOf(permissions);
  if (critical.length === 0) return;
  throw new SecondAdminRequiredError(
    `${what} would give ${describe(critical)}, which are critical, and critical grants need a second admin. ` +
      'Create the account with another role, then change its role: a second admin approves that change.',
    critical,
  );
}

/**
 * The administrative set: what it takes to run the business's accounts — see and edit users
 * (which includes assigning roles), manage permissions and open the permissions settings.
 * Someone active must always hold all of it, without a time limit (product.md, guard rails).
 */
export const ADMIN_SET = ['users.view', 'users.edit', 'users.manage_permissions', 'settings.permissions'] as const;

/** Whether the subject holds the whole administrative set now, without elevation, for every record. */
export function holdsAdminSet(engine: Authz<Permission>, subject: Subject): boolean {
  return ADMIN_SET.every((p) => engine.access(subject, p) === 'all');
}

/**
 * After a change inside `trx` (a role change, deny, role edit, deactivation, approval…): at least
 * one active user must still hold the whole administrative set without a time limit. Throws
 * (rolling the change back) otherwise. Callers hold the access-change lock, so two admins
 * demoting each other at once are judged one after the other.
 */
export async function assertManagerRemains(trx: Trx, engine: Authz<Permission>): Promise<void> {
  // Only lasting rights count: a grant that ends on a date would leave nobody once it ends.
  const subjects = (await loadActiveSubjects(trx)).map((s) => ({
    ...s,
    overrides: s.overrides.filter((o) => o.effect === 'deny' || o.expiresAt === null),
  }));
  if (!subjects.some((s) => holdsAdminSet(engine, s))) {
    throw new ConflictError(
      'This change would leave no active user who can run the accounts (view and edit users, manage permissions, ' +
        'open the permission settings) without an end date. Give another active user all of that first — ' +
        'or, if you are locked out already, run `steward admin recover` on the server.',
    );
  }
}

export class MissingPrerequisiteError extends HttpError {
  constructor(detail: string, gaps: readonly Gap[]) {
    super(422, 'missing-prerequisite', 'A permission it needs is missing', detail, {
      extra: { gaps: gaps.map((g) => ({ permission: g.permission, missing: g.missing })) },
    });
  }
}

/**
 * The gaps (a permission given without one it needs, see shared/permissions/requires.ts) a subject
 * has now or will have once one of its time-limited grants or denies ends: a grant of export that
 * outlasts the grant of view is a gap waiting to happen.
 */
export function gapsOf(engine: Authz<Permission>, subject: Subject, now: number): Gap[] {
  const ends = [
    ...new Set(subject.overrides.map((o) => o.expiresAt).filter((t): t is number => t !== null && t > now)),
  ];
  const seen = new Map<string, Gap>();
  for (const t of [null, ...ends]) {
    const at: Subject =
      t === null
        ? subject
        : { ...subject, overrides: subject.overrides.filter((o) => o.expiresAt === null || o.expiresAt > t) };
    for (const g of gapsIn((p) => engine.given(at, p))) seen.set(`${g.permission}>${g.missing}`, g);
  }
  return [...seen.values()];
}

/** The gaps a change from `before` to `after` opens (gaps already there are not this change's doing). */
export function gapsOpened(engine: Authz<Permission>, before: Subject, after: Subject, now: number): Gap[] {
  return newGaps(gapsOf(engine, before, now), gapsOf(engine, after, now));
}

/** Refuses a grant that gives `name` a permission without one it needs (now or when a grant ends). */
export function assertGrantLeavesNoGap(
  engine: Authz<Permission>,
  before: Subject,
  after: Subject,
  name: string,
  now: number,
): void {
  const gaps = gapsOpened(engine, before, after, now);
  if (gaps.length === 0) return;
  const missing = [...new Set(gaps.map((g) => g.missing))];
  throw new MissingPrerequisiteError(
    `${describeGaps(gaps)}, which ${name} would not hold (now, or once a time-limited grant ends). ` +
      `Grant ${describe(missing)} first — for at least as long — or lift its deny.`,
    gaps,
  );
}

/**
 * Refuses a role change after which some role (the one changed, or one inheriting it) gives a
 * permission without one it needs. `before` is null for a new role.
 */
export function assertRolesLeaveNoGap(before: Authz<Permission> | null, after: Authz<Permission>): void {
  for (const def of after.roleDefs()) {
    const probe = roleProbe(def.key);
    const was = before?.hasRole(def.key) ? gapsIn((p) => before.given(probe, p)) : [];
    const gaps = newGaps(
      was,
      gapsIn((p) => after.given(probe, p)),
    );
    if (gaps.length === 0) continue;
    throw new MissingPrerequisiteError(
      `In the role “${def.name}”, ${describeGaps(gaps)}, which the role would not give. ` +
        `Give it ${describe([...new Set(gaps.map((g) => g.missing))])} too (for all records, own records or with the master code), or leave the others out.`,
      gaps,
    );
  }
}
