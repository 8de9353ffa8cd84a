import { z } from 'zod';
import { Email } from './common.ts';

export const Id = z.string().min(1).max(64);

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.object({ key: z.string(), name: z.string() }),
    artistId: z.string().nullable(),
    active: z.boolean(),
    mustChangePassword: z.boolean(),
    hasPassword: z.boolean(),
    lockedUntil: z.string().nullable(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    overrides: z.number().int().describe('How many explicit grants or denies the user has'),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

export const UserList = z.object({ items: z.array(User) });
export type UserList = z.infer<typeof UserList>;

export const UserListQuery = z.object({
  q: z.string().trim().max(100).optional(),
  status: z.enum(['active', 'inactive', 'all']).default('all'),
});

const Name = z.string().trim().min(1, 'Enter a name.').max(120, 'Use at most 120 characters.');
const RoleKey = z.string().trim().min(1, 'Choose a role.').max(64);
const ArtistId = z.string().trim().max(64).nullable();

export const CreateUserBody = z.strictObject({
  email: Email,
  name: Name,
  roleKey: RoleKey,
  artistId: ArtistId.default(null),
  temporaryPassword: z
    .string()
    .max(1024, 'That password is far too long.')
    .optional()
    .describe('Leave out to have Steward generate one; it is returned once.'),
});
export type CreateUserBody = z.input<typeof CreateUserBody>;

export const UserWithPassword = z.object({
  user: User,
  temporaryPassword: z.string().describe('Shown once; the user must change it at first sign-in.'),
});

export const UpdateUserBody = z
  .strictObject({ email: Email.optional(), name: Name.optional(), artistId: ArtistId.optional() })
  .refine((b) => Object.keys(b).length > 0, 'Send at least one of email, name or artistId.');

export const Reason = z.string().trim().max(500, 'Use at most 500 characters.');

export const ChangeRoleBody = z.strictObject({ roleKey: RoleKey, reason: Reason.optional() });
export const DeactivateBody = z.strictObject({ reason: Reason.optional() });
export const ResetPasswordBody = z.strictObject({
  temporaryPassword: z.string().max(1024, 'That password is far too long.').optional(),
});
