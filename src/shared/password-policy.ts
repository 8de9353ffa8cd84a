import { isCommonPassword } from './common-passwords.ts';

/** The password policy, shared so the setup page and the server give the same messages. */
export type PasswordPolicy = {
  readonly minLength: number;
  readonly requireUpper: boolean;
  readonly requireLower: boolean;
  readonly requireDigit: boolean;
};

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 8,
  requireUpper: true,
  requireLower: true,
  requireDigit: true,
};

/** bcrypt reads at most 72 bytes; longer input is refused, never silently truncated. */
export const PASSWORD_MAX_BYTES = 72;

/** Every way `password` falls short of `policy`, as sentences; empty when it is acceptable. */
export function passwordProblems(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string[] {
  const problems: string[] = [];
  if ([...password].length < policy.minLength) problems.push(`Use at least ${policy.minLength} characters.`);
  if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES) {
    problems.push(
      `Use at most ${PASSWORD_MAX_BYTES} bytes (about ${PASSWORD_MAX_BYTES} plain letters); longer passwords cannot be stored safely.`,
    );
  }
  if (policy.requireUpper && !/\p{Lu}/u.test(password)) problems.push('Add an upper-case letter.');
  if (policy.requireLower && !/\p{Ll}/u.test(password)) problems.push('Add a lower-case letter.');
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push('Add a digit.');
  if (isCommonPassword(password)) {
    problems.push('This is one of the most common passwords, the first ones anyone guesses: choose another.');
  }
  return problems;
}
