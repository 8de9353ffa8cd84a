/**
 * The rules that keep access administration safe (product.md, permission model §8):
 * nobody grants or assigns what they do not hold, and somebody can always manage permissions.
 */
import type { Access, Authz, Subject } from '../../../authz/index.ts';
import { permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Tx } from '../../db/database.ts';
import { type Engine, lockChain } from '../../db/dialect.ts';
import { ConflictError, HttpError } from '../../http/errors.ts';
import { loadActiveSubjects } from './subjects.ts';

export const MANAGE_PERMISSIONS = 'users.manage_permissions';

const ACCESS_LOCK = 0x5354_4143; // "STAC"

/**
 * Serializes transactions that change who may do what (roles, overrides, user roles, activation),
 * so two admins removing each other's rights at the same moment cannot both pass the
 * "somebody can still manage permissions" check. Call first in the transaction.
 */
export function lockAccessChanges(trx: Tx, engine: Engine): Promise<void> {
  return lockChain(trx, engine, ACCESS_LOCK);
}

export class NotHeldError extends HttpError {
  constructor(detail: string, permissions: string[]) {
    super(403, 'not-held', 'You do not hold that permission', detail, { extra: { permissions } });
  }
}

/** Whether `holder` covers `needed` (what a grant or role would give). */
function covers(holder: Access, needed: Access): boolean {
  if (needed === 'none') return true;
  if (needed === 'all') return holder === 'all';
  if (needed === 'own') return holder === 'all' || holder === 'own';
  return holder !== 'none'; // elevation-required: holding it in any form is enough
}

function describe(permissions: string[]): string {
  const labels = permissions.slice(0, 5).map((p) => `“${permissionDef(p).label}”`);
  return permissions.length > 5 ? `${labels.join(', ')} and ${permissions.length - 5} more` : labels.join(', ');
}

/** Refuses a grant of `permission` (any or own) by someone who does not hold it that widely. */
export function assertHolds(engine: Authz, actor: Subject, permission: string, scope: 'any' | 'own'): void {
  if (!covers(engine.access(actor, permission), scope === 'any' ? 'all' : 'own')) {
    throw new NotHeldError(
      `You cannot grant ${describe([permission])}${scope === 'own' ? ' (own records)' : ''} because you do not hold it yourself.`,
      [permission],
    );
  }
}

/** Refuses assigning (or shaping) a role that gives anything the actor does not hold. */
export function assertRoleWithinReach(engine: Authz, actor: Subject, roleKey: string, verb = 'assign'): void {
  const probe: Subject = {
    id: '\u0000probe',
    active: true,
    roles: [roleKey],
    overrides: [],
    elevatedUntil: null,
    ownerIds: [],
  };
  const missing = engine
    .effective(probe)
    .filter((e) => !covers(engine.access(actor, e.permission), e.access))
    .map((e) => e.permission);
  if (missing.length > 0) {
    throw new NotHeldError(
      `You cannot ${verb} this role: it gives ${describe(missing)}, which you do not hold yourself.`,
      missing,
    );
  }
}

/**
 * After a change inside `trx`: at least one active user must still be able to manage
 * permissions without elevation. Throws (rolling the change back) otherwise.
 */
export async function assertManagerRemains(trx: Tx, engine: Authz): Promise<void> {
  const subjects = await loadActiveSubjects(trx);
  if (!subjects.some((s) => engine.access(s, MANAGE_PERMISSIONS) === 'all')) {
    throw new ConflictError(
      'This change would leave no active user able to manage permissions. Give that right to another active user first.',
    );
  }
}
