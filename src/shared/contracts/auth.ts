import { z } from 'zod';
import { Email } from './common.ts';

export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1, 'Enter your password.').max(1024, 'That password is far too long.'),
});

export const EffectivePermission = z.object({
  permission: z.string(),
  state: z.enum(['grant', 'inherited', 'deny', 'none']),
  access: z.enum(['all', 'own', 'elevation-required', 'none']),
});

export const Me = z
  .object({
    user: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      role: z.object({ key: z.string(), name: z.string() }),
      artistId: z.string().nullable(),
      mustChangePassword: z.boolean(),
    }),
    business: z.object({
      name: z.string(),
      template: z.enum(['studio', 'stores']),
      timezone: z.string(),
      currency: z.string(),
      modules: z.array(z.string()),
    }),
    permissions: z.array(EffectivePermission),
    elevatedUntil: z.string().nullable(),
    csrfToken: z.string().nullable(),
    session: z.object({ handle: z.string() }).nullable(),
    apiKey: z.object({ id: z.string(), name: z.string() }).nullable(),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

export const Ok = z.object({ ok: z.literal(true) });

export const ElevationStatus = z.object({ elevatedUntil: z.string().nullable() });

export const ChangePasswordBody = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024, 'That password is far too long.'),
  newPassword: z.string().max(1024, 'That password is far too long.'),
});

export const SessionInfo = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
    elevatedUntil: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });
export type SessionInfo = z.infer<typeof SessionInfo>;

export const SessionList = z.object({ items: z.array(SessionInfo) });
export type SessionList = z.infer<typeof SessionList>;
