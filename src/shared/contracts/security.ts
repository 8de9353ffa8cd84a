import { z } from 'zod';
import { DEFAULT_PASSWORD_POLICY } from '../password-policy.ts';
import { SECURITY_LIMITS as L } from './bounds.ts';

const int = ([min, max]: readonly [number, number], what: string) =>
  z
    .number({ error: `Enter ${what} as a whole number.` })
    .int(`Enter ${what} as a whole number.`)
    .min(min, `${what[0]?.toUpperCase()}${what.slice(1)} must be at least ${min}.`)
    .max(max, `${what[0]?.toUpperCase()}${what.slice(1)} must be at most ${max}.`);

export const PasswordPolicySchema = z.strictObject({
  minLength: int(L.passwordMinLength, 'the minimum length'),
  requireUpper: z.boolean(),
  requireLower: z.boolean(),
  requireDigit: z.boolean(),
});

/** Security settings (Settings → Sign-in & keys). Stored as one JSON setting; missing keys take these defaults. */
export const SecuritySettings = z
  .strictObject({
    sessionIdleMinutes: int(L.sessionIdleMinutes, 'the idle timeout'),
    sessionAbsoluteHours: int(L.sessionAbsoluteHours, 'the absolute session length'),
    elevationMinutes: int(L.elevationMinutes, 'the elevation time'),
    loginMaxFailures: int(L.loginMaxFailures, 'the failures before an account locks'),
    loginLockMinutes: int(L.loginLockMinutes, 'the lock time'),
    loginAddressMaxFailures: int(L.loginAddressMaxFailures, 'the failures before an address is throttled'),
    elevationMaxFailuresPerUser: int(L.elevationMaxFailuresPerUser, 'the wrong codes one user may enter'),
    elevationMaxFailuresPerAddress: int(L.elevationMaxFailuresPerAddress, 'the wrong codes one address may enter'),
    masterCodeMaxFailures: int(L.masterCodeMaxFailures, 'the wrong codes before the master code is disabled'),
    criticalGrantsNeedApproval: z.boolean(),
    /** Accounts holding a critical permission must use two-step sign-in (they set it up at their next sign-in). */
    twoFactorForCritical: z.boolean(),
    passwordPolicy: PasswordPolicySchema,
  })
  .meta({ id: 'SecuritySettings' });
export type SecuritySettings = z.infer<typeof SecuritySettings>;

export const DEFAULT_SECURITY: SecuritySettings = {
  sessionIdleMinutes: 60,
  sessionAbsoluteHours: 12,
  elevationMinutes: 5,
  loginMaxFailures: 10,
  loginLockMinutes: 15,
  // One address often hides a whole shop behind its router: it gets more room than one account.
  loginAddressMaxFailures: 50,
  elevationMaxFailuresPerUser: 5,
  elevationMaxFailuresPerAddress: 10,
  masterCodeMaxFailures: 10,
  criticalGrantsNeedApproval: false,
  twoFactorForCritical: false,
  passwordPolicy: { ...DEFAULT_PASSWORD_POLICY },
};

export const MasterCodeStatus = z
  .object({
    set: z.boolean(),
    rotatedAt: z.string().nullable(),
    rotatedBy: z.string().nullable(),
    failures: z.number().int(),
    maxFailures: z.number().int(),
    disabledAt: z.string().nullable(),
    /** Why the code does not work, in words an admin acts on; null when it works. */
    problem: z.string().nullable(),
  })
  .meta({ id: 'MasterCodeStatus' });
export type MasterCodeStatus = z.infer<typeof MasterCodeStatus>;

export const RotatedCode = z.object({
  code: z.string().describe('The new master code. Shown only in this response; only its hash is stored.'),
  status: MasterCodeStatus,
});

export const ElevateBody = z.object({
  code: z.string().trim().min(1, 'Enter the master code.').max(64, 'That is not a master code.'),
});

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
    permissions: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'Give the key a name.').max(80, 'Use at most 80 characters.'),
  permissions: z.array(z.string()).min(1, 'Choose at least one permission.').max(200),
  expiresAt: z.iso.datetime({ offset: true, error: 'Enter a date and time.' }).nullable().default(null),
});
export type CreateApiKeyBody = z.input<typeof CreateApiKeyBody>;

export const CreatedApiKey = z.object({
  key: z.string().describe('The key. Shown only in this response; only its hash is stored.'),
  apiKey: ApiKey,
});
