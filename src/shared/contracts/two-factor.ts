/**
 * Two-step sign-in: a time-based one-time code (TOTP, RFC 6238) from an authenticator app, or one
 * of ten single-use recovery codes, after the password.
 */
import { z } from 'zod';
import { Me } from './auth.ts';

/** What a wrong second-step code is told (the sign-in and the account page say the same). */
export const SECOND_FACTOR_WRONG =
  'That code is not right. Enter the current 6-digit code from your app, or an unused recovery code.';

/** Six digits from the app (spaces allowed), or a recovery code such as "k7p2m-x9c4d". */
export const SecondFactorCode = z
  .string()
  .trim()
  .min(6, 'Enter the 6-digit code from your app, or a recovery code.')
  .max(32, 'That code is too long: enter the 6-digit code from your app, or a recovery code.');

/** What an authenticator app needs to add the account: the secret as a QR code and as text. */
export const TwoFactorEnrolment = z
  .object({
    secret: z.string().describe('The shared secret in base32, for typing into an app that cannot scan.'),
    otpauthUri: z.string().describe('The otpauth:// address the QR code holds.'),
    qrSvg: z.string().describe('The QR code as an SVG document.'),
  })
  .meta({ id: 'TwoFactorEnrolment' });
export type TwoFactorEnrolment = z.infer<typeof TwoFactorEnrolment>;

/** The password was right; a second step is needed before a session opens. */
export const SecondFactorChallenge = z
  .object({
    secondFactor: z.object({
      challenge: z.string().describe('Send it back with the code to /auth/login/second-factor. Valid for 5 minutes.'),
      expiresAt: z.string(),
      /** True when the account must set up two-step sign-in now (required for its role and not set up). */
      enrol: z.boolean(),
      enrolment: TwoFactorEnrolment.nullable(),
    }),
  })
  .meta({ id: 'SecondFactorChallenge' });
export type SecondFactorChallenge = z.infer<typeof SecondFactorChallenge>;

export const SecondFactorBody = z.object({
  challenge: z.string().min(1).max(100),
  code: SecondFactorCode,
});

export const RecoveryCodes = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .describe('Ten single-use codes, each signs in once without the app. Shown only in this response.'),
  })
  .meta({ id: 'RecoveryCodes' });
export type RecoveryCodes = z.infer<typeof RecoveryCodes>;

export const TwoFactorStatus = z
  .object({
    enabled: z.boolean(),
    enabledAt: z.string().nullable(),
    recoveryCodesLeft: z.number().int(),
    /** True when the security settings require it for this account's permissions. */
    required: z.boolean(),
  })
  .meta({ id: 'TwoFactorStatus' });
export type TwoFactorStatus = z.infer<typeof TwoFactorStatus>;

export const TwoFactorCodeBody = z.object({ code: SecondFactorCode });

/** Signed in after the second step; `recoveryCodes` are set (once) when this step finished setting up. */
export const SecondFactorSignedIn = Me.extend({
  recoveryCodes: z
    .array(z.string())
    .nullable()
    .describe('Ten single-use codes when this sign-in finished setting up two-step sign-in; shown only here.'),
}).meta({ id: 'SecondFactorSignedIn' });
export type SecondFactorSignedIn = z.infer<typeof SecondFactorSignedIn>;

/** What signing in answers: the signed-in user, or the second step to take. */
export const LoginResult = z.union([Me, SecondFactorChallenge]);
export type LoginResult = z.infer<typeof LoginResult>;
