/**
 * Role changes that wait for a second admin (issue 19, M3's follow-up): with "critical grants need
 * a second admin" on, a role created or edited, or a role given to a user, that adds a critical
 * permission is stored as a request instead of applied (or refused, which left nobody able to make
 * an Admin). Another admin approves it on the approvals page; it is applied then, re-checked
 * (reach, guard rails, last admin). The users module asks for assignments through
 * `requestRoleChange`; the permissions service decides every kind.
 */
import { randomUUID } from 'node:crypto';
import type { RoleChangePending } from '../../../shared/contracts/permissions.ts';
import { permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TxContext } from '../context.ts';
import { insertRoleRequest } from './permissions.repository.ts';

export type RoleFieldsPayload = {
  name: string;
  description: string;
  inherits: string[];
  entries: Record<string, Policy>;
};
export type AssignPayload = { roleKey: string; from: string };

export type RoleRequestInput =
  | { kind: 'assign'; roleKey: string; roleName: string; user: { id: string; name: string }; payload: AssignPayload }
  | { kind: 'create' | 'update'; roleKey: string; roleName: string; user: null; payload: RoleFieldsPayload };

function labels(permissions: readonly string[]): string {
  return permissions.map((p) => `“${permissionDef(p).label}”`).join(', ');
}

/** Stores the request and its audit event in the caller's transaction; returns the 202 answer. */
export async function requestRoleChange(
  tx: TxContext,
  audit: AuditService,
  input: RoleRequestInput,
  critical: readonly string[],
  reason: string | null,
  now: string,
): Promise<RoleChangePending> {
  const id = randomUUID();
  await insertRoleRequest(tx.db, {
    id,
    kind: input.kind,
    role_key: input.roleKey,
    user_id: input.user?.id ?? null,
    payload: JSON.stringify(input.payload),
    critical: JSON.stringify(critical),
    reason,
    requested_by: tx.actor.user.id,
    requested_at: now,
    status: 'pending',
    decided_by: null,
    decided_at: null,
  });
  await audit.record(tx, {
    action: 'roles.change_requested',
    target: input.user ? { type: 'user', id: input.user.id } : { type: 'role', id: input.roleKey },
    after: { kind: input.kind, role: input.roleKey, ...input.payload, critical, request: id },
    reason,
  });
  const what =
    input.kind === 'assign'
      ? `Giving ${input.user.name} the role “${input.roleName}”`
      : input.kind === 'create'
        ? `The new role “${input.roleName}”`
        : `This change to the role “${input.roleName}”`;
  return {
    status: 'pending-approval',
    requestId: id,
    detail:
      `${what} gives ${labels(critical)}, which ${critical.length > 1 ? 'are' : 'is'} critical: it waits for ` +
      'another admin to approve it on the approvals page, and applies then.',
  };
}
