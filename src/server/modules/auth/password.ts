import bcrypt from 'bcrypt';
import { PASSWORD_MAX_BYTES, type PasswordPolicy, passwordProblems } from '../../../shared/password-policy.ts';
import { ValidationError } from '../../http/errors.ts';

/** Refuses a password that breaks the policy, with every reason, under `field`. */
export function assertPasswordAcceptable(password: string, policy: PasswordPolicy, field = 'password'): void {
  const problems = passwordProblems(password, policy);
  if (problems.length > 0) {
    throw new ValidationError(
      `The password is not strong enough: ${problems.join(' ')}`,
      problems.map((message) => ({ path: field, message })),
    );
  }
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  if (Buffer.byteLength(password) > PASSWORD_MAX_BYTES) {
    // bcrypt would silently ignore the rest; the policy check refuses such input before this point.
    throw new ValidationError(`Passwords are limited to ${PASSWORD_MAX_BYTES} bytes.`);
  }
  return bcrypt.hash(password, cost);
}

export class PasswordHasher {
  private readonly cost: number;
  private dummy: Promise<string> | null = null;
  /** The one timing comparison `pause` waits on before any comparison has been timed. */
  private calibration: Promise<boolean> | null = null;
  /** Recent duration of one comparison (ms), so a refused attempt can answer in the same time. */
  private typicalMs = 0;
  constructor(cost: number) {
    this.cost = cost;
  }

  hash(password: string): Promise<string> {
    return hashPassword(password, this.cost);
  }

  /**
   * Compares against the stored hash, or against a dummy hash of the same cost when there is
   * none, so unknown and known accounts take the same time (no user enumeration).
   */
  async verify(password: string, hash: string | null): Promise<boolean> {
    // Over-long input cannot match any stored password (none longer was ever accepted).
    const tooLong = Buffer.byteLength(password) > PASSWORD_MAX_BYTES;
    const ok = await this.timedCompare(tooLong ? password.slice(0, 1) : password, hash ?? (await this.dummyHash()));
    return ok && hash !== null && !tooLong;
  }

  /**
   * Waits about as long as one comparison takes, without computing one: an attempt refused
   * before its check (a locked account, a limit reached) answers in the same time as a checked
   * one, but costs no CPU. Before any comparison has been timed, one fixed comparison (not a
   * password check) is timed, once for all the refusals waiting on it, so a burst on a freshly
   * started server computes one comparison, not one per refusal.
   */
  async pause(): Promise<void> {
    if (this.typicalMs === 0) {
      this.calibration ??= this.dummyHash().then((dummy) => this.timedCompare('steward-timing', dummy));
      await this.calibration;
      return;
    }
    const ms = this.typicalMs;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= bcrypt.hash('steward-dummy-password', this.cost);
    return this.dummy;
  }

  /** One bcrypt comparison, whose duration feeds the typical time `pause` waits. */
  private async timedCompare(password: string, hash: string): Promise<boolean> {
    const started = performance.now();
    const ok = await bcrypt.compare(password, hash);
    const took = performance.now() - started;
    this.typicalMs = this.typicalMs === 0 ? took : this.typicalMs * 0.8 + took * 0.2;
    return ok;
  }
}
