import { z } from 'zod';
import { POLICIES } from '../permissions/policy.ts';
import { Reason } from './users.ts';

const Access = z.enum(['all', 'own', 'elevation-required', 'none']);

export const OverrideInfo = z.object({
  effect: z.enum(['grant', 'deny']),
  scope: z.enum(['any', 'own']),
  expiresAt: z.string().nullable(),
  reason: z.string().nullable(),
  byName: z.string().nullable(),
  at: z.string().nullable(),
});

export const PermissionState = z
  .object({
    permission: z.string(),
    label: z.string(),
    description: z.string(),
    area: z.string(),
    risk: z.enum(['normal', 'sensitive', 'critical']),
    /** green = grant, gray = inherited, red = deny, empty = none */
    state: z.enum(['grant', 'inherited', 'deny', 'none']),
    access: Access,
    elevatable: z.boolean(),
    role: z.object({ key: z.string(), name: z.string(), via: z.array(z.string()) }).nullable(),
    policy: z.enum(POLICIES).nullable(),
    override: OverrideInfo.nullable(),
    expired: OverrideInfo.nullable(),
    pendingRequest: z.string().nullable().describe('Id of a grant waiting for a second admin'),
    summary: z.string().describe('One line saying why, e.g. “Granted by role Superuser (inherited from User).”'),
  })
  .meta({ id: 'PermissionState' });
export type PermissionState = z.infer<typeof PermissionState>;

export const UserPermissions = z.object({
  user: z.object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.object({ key: z.string(), name: z.string() }),
    active: z.boolean(),
  }),
  items: z.array(PermissionState),
});
export type UserPermissions = z.infer<typeof UserPermissions>;

const Future = z.iso.datetime({ offset: true, error: 'Enter a date and time, e.g. 2026-12-31T17:00:00Z.' });

export const SetPermissionBody = z.strictObject({
  effect: z.enum(['grant', 'deny', 'inherit'], { error: 'Choose grant, deny or inherit.' }),
  scope: z.enum(['any', 'own']).default('any'),
  expiresAt: Future.nullable().default(null),
  reason: Reason.min(3, 'Say why (at least 3 characters): it goes into the audit log.'),
  alsoDenyDependents: z
    .boolean()
    .default(false)
    .describe('With a deny: deny too every permission the user has that needs this one (e.g. export with view)'),
});
export type SetPermissionBody = z.input<typeof SetPermissionBody>;

export const SetPermissionResult = z.object({
  status: z.enum(['applied', 'pending-approval', 'unchanged']),
  requestId: z.string().nullable(),
  dependents: z
    .array(z.string())
    .describe('Permissions the user still has that need this one and are therefore not in effect'),
  alsoDenied: z.array(z.string()).describe('Permissions denied along with this one (alsoDenyDependents)'),
  warning: z.string().nullable().describe('What the admin should know, naming permissions by label'),
  item: PermissionState,
});
export type SetPermissionResult = z.infer<typeof SetPermissionResult>;

export const BulkPermissionBody = SetPermissionBody.extend({
  userIds: z.array(z.string().max(64)).min(1, 'Choose at least one user.').max(500, 'At most 500 users at once.'),
  permission: z.string().max(100),
});
export type BulkPermissionBody = z.input<typeof BulkPermissionBody>;

export const BulkPermissionResult = z.object({
  applied: z.number().int(),
  unchanged: z.number().int(),
  pendingApproval: z.number().int(),
  dependents: z.array(z.string()).describe('Permissions some of the users have that are no longer in effect'),
  alsoDenied: z.number().int().describe('Denies written along with the change (alsoDenyDependents)'),
});

export const Explanation = z
  .object({
    permission: z.string(),
    allowed: z.boolean(),
    code: z.string(),
    summary: z.string(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'Explanation' });
export type Explanation = z.infer<typeof Explanation>;

export const PermissionRequest = z
  .object({
    id: z.string(),
    user: z.object({ id: z.string(), name: z.string() }),
    permission: z.string(),
    scope: z.enum(['any', 'own']),
    expiresAt: z.string().nullable(),
    reason: z.string(),
    requestedBy: z.object({ id: z.string(), name: z.string() }),
    requestedAt: z.string(),
    status: z.enum(['pending', 'approved', 'rejected']),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'PermissionRequest' });
export type PermissionRequest = z.infer<typeof PermissionRequest>;

export const PermissionRequestList = z.object({ items: z.array(PermissionRequest) });
export type PermissionRequestList = z.infer<typeof PermissionRequestList>;

export const RoleKey = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_-]{1,39}$/, 'Use 2–40 lower-case letters, digits, - or _, starting with a letter.');

export const Role = z
  .object({
    key: z.string(),
    name: z.string(),
    description: z.string(),
    builtin: z.boolean(),
    /** The template's Admin role always holds every permission and cannot be edited. */
    locked: z.boolean(),
    inherits: z.array(z.string()),
    entries: z.record(z.string(), z.enum(POLICIES)),
    users: z.number().int(),
  })
  .meta({ id: 'Role' });
export type Role = z.infer<typeof Role>;

export const RoleList = z.object({ items: z.array(Role) });
export type RoleList = z.infer<typeof RoleList>;

const RoleFields = {
  name: z.string().trim().min(1, 'Enter a name.').max(80, 'Use at most 80 characters.'),
  description: z.string().trim().max(300, 'Use at most 300 characters.').default(''),
  inherits: z.array(z.string().max(64)).max(10).default([]),
  entries: z.record(z.string().max(100), z.enum(POLICIES)).default({}),
};

export const CreateRoleBody = z.strictObject({
  key: RoleKey,
  ...RoleFields,
  copyFrom: z.string().max(64).optional().describe('Start from this role’s entries and parents'),
});
export type CreateRoleBody = z.input<typeof CreateRoleBody>;

export const UpdateRoleBody = z.strictObject({
  ...RoleFields,
  description: z.string().trim().max(300, 'Use at most 300 characters.').optional().describe('Unchanged when left out'),
});
export type UpdateRoleBody = z.input<typeof UpdateRoleBody>;

/** A role change waiting for a second admin: a role created or edited, or a role given to a user. */
export const RoleRequest = z
  .object({
    id: z.string(),
    kind: z.enum(['assign', 'create', 'update']),
    role: z.object({ key: z.string(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string() }).nullable().describe('Whose role changes (assign)'),
    from: z.string().nullable().describe('The role the user had when asked (assign)'),
    entries: z
      .record(z.string(), z.enum(POLICIES))
      .nullable()
      .describe('The role’s entries asked for (create, update)'),
    inherits: z.array(z.string()).nullable(),
    critical: z.array(z.object({ permission: z.string(), label: z.string() })),
    reason: z.string().nullable(),
    requestedBy: z.object({ id: z.string(), name: z.string() }),
    requestedAt: z.string(),
    status: z.enum(['pending', 'approved', 'rejected']),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'RoleRequest' });
export type RoleRequest = z.infer<typeof RoleRequest>;

export const RoleRequestList = z.object({ items: z.array(RoleRequest) });
export type RoleRequestList = z.infer<typeof RoleRequestList>;

/** The answer (202) when a role change waits for a second admin instead of applying. */
export const RoleChangePending = z
  .object({
    status: z.literal('pending-approval'),
    requestId: z.string(),
    detail: z.string().describe('What waits and why, naming the critical permissions by label'),
  })
  .meta({ id: 'RoleChangePending' });
export type RoleChangePending = z.infer<typeof RoleChangePending>;
