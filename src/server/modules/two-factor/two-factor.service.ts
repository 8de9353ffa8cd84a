import { createHash, randomBytes } from 'node:crypto';
import {
  type RecoveryCodes,
  SECOND_FACTOR_WRONG,
  type SecondFactorChallenge,
  type TwoFactorEnrolment,
  type TwoFactorStatus,
} from '../../../shared/contracts/two-factor.ts';
import { permissionDef } from '../../../shared/permissions/catalog.ts';
import type { Engine } from '../../db/dialect.ts';
import { ConflictError, ForbiddenError, HttpError, NotFoundError, ValidationError } from '../../http/errors.ts';
import type { Scope } from '../../http/scope.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type Context, type Db, inTransaction, type Trx } from '../context.ts';
import { lockAccessChanges, requireReach } from '../permissions/guard-rails.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { getSetting, loadSecurity, SETTING } from '../settings/settings.service.ts';
import { codeStep, enrolment, looksLikeRecoveryCode, newRecoveryCodes, newSecret, recoveryHash } from './totp.ts';
import {
  acceptStep,
  confirmSecret,
  consumeChallenge,
  findTwoFactor,
  insertChallenge,
  putPendingSecret,
  recoveryCodesLeft,
  removeTwoFactor,
  replaceRecoveryCodes,
  reserveChallengeTry,
  spendRecoveryCode,
} from './two-factor.repository.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Deps = { audit: AuditService; roles: RolesService; engine: Engine; now: () => number };

/** How long a sign-in waits for its second step, and how many codes it may try. */
export const CHALLENGE_MINUTES = 5;
export const CHALLENGE_TRIES = 5;

const WRONG_CODE = SECOND_FACTOR_WRONG;

/** A second step the user could not pass: 401 with a message that says what to do. */
export class SecondFactorError extends HttpError {
  constructor(detail: string) {
    super(401, 'second-factor-failed', 'Two-step sign-in failed', detail);
  }
}

/** A pending sign-in made in the sign-in's transaction; `answer` turns it into the response. */
type PendingSetup = { secret: string; issuer: string; label: string };
export type PendingChallenge = { challenge: string; expiresAt: string; enrol: boolean; setup: PendingSetup | null };

/**
 * Two-step sign-in guards the password's sign-in, so only a signed-in session changes it: an API
 * key (perhaps carrying one narrow permission) must not turn it on with an app of its holder's
 * choosing, nor off, nor renew the recovery codes.
 */
function assertSession(ctx: Context): void {
  if (!ctx.actor.session) {
    throw new ForbiddenError('Change two-step sign-in from a signed-in session, not with an API key.');
  }
}

/** What a user holds that makes two-step sign-in required (under the security setting). */
type UserFacts = { id: string; role_key: string; artist_id: string | null; active: number };

/**
 * Two-step sign-in. Codes are checked only after a try is reserved by a guarded update, each
 * accepted code's time step is recorded (a code works once), and each recovery code is spent by a
 * guarded update: N parallel requests with one code open at most one session.
 */
export class TwoFactorService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  private iso(ms = this.deps.now()): string {
    return new Date(ms).toISOString();
  }

  private async issuer(db: Db): Promise<string> {
    const business = (await getSetting(db, SETTING.business)) as { name?: string } | undefined;
    return business?.name ? `${business.name} (Steward)` : 'Steward';
  }

  /** Whether the security settings require a second step of this user (they hold a critical permission). */
  async requiredFor(db: Db, user: UserFacts): Promise<boolean> {
    const security = await loadSecurity(db);
    if (!security.twoFactorForCritical) return false;
    const engine = await this.deps.roles.engine(db);
    const subject = await loadSubject(db, user);
    return engine
      .effective(subject)
      .some((e) => e.access !== 'none' && permissionDef(e.permission).risk === 'critical');
  }

  async status(ctx: Context, user: UserFacts): Promise<TwoFactorStatus> {
    const row = await findTwoFactor(ctx.db, user.id);
    const enabled = row?.confirmed_at != null;
    return {
      enabled,
      enabledAt: enabled ? (row?.confirmed_at ?? null) : null,
      recoveryCodesLeft: enabled ? await recoveryCodesLeft(ctx.db, user.id) : 0,
      required: await this.requiredFor(ctx.db, user),
    };
  }

  // --- signing in --------------------------------------------------------------------------------

  /**
   * After a right password: the pending sign-in to answer with, or null when the user has no
   * second step (not set up and not required). Runs in the sign-in's transaction; the enrolment's
   * QR code is drawn by `answer`, after it commits.
   */
  async challengeFor(trx: Trx, user: UserFacts & { email: string }): Promise<PendingChallenge | null> {
    const row = await findTwoFactor(trx, user.id);
    const enabled = row?.confirmed_at != null;
    const enrol = !enabled && (await this.requiredFor(trx, user));
    if (!enabled && !enrol) return null;
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.now();
    const expiresAt = this.iso(now + CHALLENGE_MINUTES * 60_000);
    await insertChallenge(trx, { id: sha256(token), userId: user.id, enrol, expiresAt, now: this.iso(now) });
    let setup: PendingSetup | null = null;
    if (enrol) {
      setup = { secret: newSecret(), issuer: await this.issuer(trx), label: user.email };
      await putPendingSecret(trx, user.id, setup.secret, this.iso(now));
    }
    return { challenge: token, expiresAt, enrol, setup };
  }

  /** The answer to a sign-in that waits for its second step (drawing the QR code outside any transaction). */
  async answer(pending: PendingChallenge): Promise<SecondFactorChallenge> {
    const { setup, ...rest } = pending;
    const shown = setup ? await enrolment(setup.secret, setup.issuer, setup.label) : null;
    return { secondFactor: { ...rest, enrolment: shown } };
  }

  /**
   * Reserves one try of a pending sign-in before its code is checked (at most CHALLENGE_TRIES, even
   * in parallel); a 401 that says what to do when it is unknown, expired or out of tries.
   */
  async reserveTry(trx: Trx, token: string) {
    const challenge = await reserveChallengeTry(trx, sha256(token), CHALLENGE_TRIES, this.iso());
    if (!challenge) {
      throw new SecondFactorError(
        'This sign-in has expired or had too many wrong codes. Sign in again with your password.',
      );
    }
    return challenge;
  }

  /**
   * Checks the code of a reserved try: how it passed (and the new recovery codes when this step
   * finished setting up), or null when the code is wrong. The caller consumes the sign-in with
   * `finish` once it opens the session.
   */
  async check(
    trx: Trx,
    challenge: { user_id: string; enrol: number },
    code: string,
  ): Promise<{ method: 'app' | 'recovery-code' | 'setup'; recoveryCodes: string[] | null } | null> {
    const userId = challenge.user_id;
    const row = await findTwoFactor(trx, userId);
    if (!row)
      throw new SecondFactorError('Two-step sign-in was reset for this account. Sign in again with your password.');
    const now = this.deps.now();
    if (challenge.enrol === 1) {
      const step = codeStep(row.secret, code, now);
      if (step === null || !(await confirmSecret(trx, userId, step, this.iso(now)))) return null;
      return { method: 'setup', recoveryCodes: await this.newCodes(trx, userId) };
    }
    const method = await this.acceptCode(trx, userId, row.secret, code);
    return method === null ? null : { method, recoveryCodes: null };
  }

  /** Consumes a pending sign-in: only one request opens a session with it. */
  async finish(trx: Trx, challengeId: string): Promise<void> {
    if (!(await consumeChallenge(trx, challengeId))) {
      throw new SecondFactorError('This sign-in was already completed. Sign in again with your password.');
    }
  }

  /** A current code (each time step once) or an unused recovery code (spent). */
  private async acceptCode(
    trx: Trx,
    userId: string,
    secret: string,
    code: string,
  ): Promise<'app' | 'recovery-code' | null> {
    const now = this.deps.now();
    const step = codeStep(secret, code, now);
    if (step !== null) return (await acceptStep(trx, userId, step)) ? 'app' : null;
    if (looksLikeRecoveryCode(code) && (await spendRecoveryCode(trx, userId, recoveryHash(code), this.iso(now)))) {
      return 'recovery-code';
    }
    return null;
  }

  private async newCodes(trx: Trx, userId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(trx, userId, codes.map(recoveryHash), this.iso());
    return codes;
  }

  // --- the user's own second step ------------------------------------------------------------------

  /** Starts setting up for the signed-in user: a new secret, shown as a QR code and as text. */
  async startSetup(ctx: Context): Promise<TwoFactorEnrolment> {
    assertSession(ctx);
    const { user } = ctx.actor;
    const secret = newSecret();
    const issuer = await inTransaction(ctx, async (tx) => {
      if (!(await putPendingSecret(tx.db, user.id, secret, this.iso()))) {
        throw new ConflictError('Two-step sign-in is already on. Turn it off first to set up a new app.');
      }
      return this.issuer(tx.db);
    });
    // The QR code is drawn after the transaction commits: it holds no write lock while it does.
    return enrolment(secret, issuer, user.email);
  }

  /** Finishes setting up with a code from the app; answers the ten recovery codes, once. */
  async confirmSetup(ctx: Context, code: string): Promise<RecoveryCodes> {
    assertSession(ctx);
    const { user } = ctx.actor;
    return inTransaction(ctx, async (tx) => {
      const row = await findTwoFactor(tx.db, user.id);
      if (!row || row.confirmed_at !== null) {
        throw new ConflictError(
          row
            ? 'Two-step sign-in is already on.'
            : 'Start setting up two-step sign-in first: there is no code to check yet.',
        );
      }
      const now = this.deps.now();
      const step = codeStep(row.secret, code, now);
      if (step === null || !(await confirmSecret(tx.db, user.id, step, this.iso(now)))) {
        throw new ValidationError(WRONG_CODE, [{ path: 'code', message: WRONG_CODE }]);
      }
      const recoveryCodes = await this.newCodes(tx.db, user.id);
      await this.deps.audit.record(tx, { action: 'auth.two_factor.enable', target: { type: 'user', id: user.id } });
      return { recoveryCodes };
    });
  }

  /** Checks a code of the signed-in user's own second step (to turn it off or renew the codes). */
  private async proveOwn(tx: Context & { db: Trx }, code: string): Promise<void> {
    const row = await findTwoFactor(tx.db, tx.actor.user.id);
    if (!row || row.confirmed_at === null) throw new ConflictError('Two-step sign-in is not on for your account.');
    if ((await this.acceptCode(tx.db, tx.actor.user.id, row.secret, code)) === null) {
      throw new ValidationError(WRONG_CODE, [{ path: 'code', message: WRONG_CODE }]);
    }
  }

  /** Turns the signed-in user's second step off, proven by a code; refused while it is required. */
  async disableOwn(ctx: Context, user: UserFacts, code: string): Promise<void> {
    assertSession(ctx);
    await inTransaction(ctx, async (tx) => {
      if (await this.requiredFor(tx.db, user)) {
        throw new ConflictError(
          'Two-step sign-in is required for accounts that hold critical permissions (Settings → Sign-in & keys), so it cannot be turned off.',
        );
      }
      await this.proveOwn(tx, code);
      await removeTwoFactor(tx.db, user.id);
      await this.deps.audit.record(tx, { action: 'auth.two_factor.disable', target: { type: 'user', id: user.id } });
    });
  }

  /** Ten new recovery codes for the signed-in user (the old ones stop working), proven by a code. */
  async renewRecoveryCodes(ctx: Context, code: string): Promise<RecoveryCodes> {
    assertSession(ctx);
    return inTransaction(ctx, async (tx) => {
      await this.proveOwn(tx, code);
      const recoveryCodes = await this.newCodes(tx.db, tx.actor.user.id);
      await this.deps.audit.record(tx, {
        action: 'auth.two_factor.recovery_codes',
        target: { type: 'user', id: tx.actor.user.id },
      });
      return { recoveryCodes };
    });
  }

  /** Removes a user's second step inside the caller's transaction (`steward admin recover --reset-two-factor`). */
  removeFor(tx: { db: Trx }, userId: string): Promise<boolean> {
    return removeTwoFactor(tx.db, userId);
  }

  // --- an admin for someone else ---------------------------------------------------------------

  /**
   * Resets another user's second step (a lost phone): they sign in with their password and, if
   * their role requires it, set it up again. Reach rules apply: the admin must cover what they hold.
   */
  async resetFor(ctx: Context, scope: Scope<'user'>, userId: string): Promise<void> {
    if (scope.kind === 'own' && !scope.ownerIds.includes(userId)) {
      throw new NotFoundError('There is no user with that id.');
    }
    if (userId === ctx.actor.user.id) {
      throw new ConflictError(
        'To turn off your own two-step sign-in, use Account → Two-step sign-in (it asks for a code).',
      );
    }
    await inTransaction(ctx, async (tx) => {
      await lockAccessChanges(tx.db, this.deps.engine);
      await requireReach(tx.db, this.deps.roles, tx.actor, userId);
      if (!(await removeTwoFactor(tx.db, userId))) {
        throw new ConflictError('This user has not set up two-step sign-in: there is nothing to reset.');
      }
      await this.deps.audit.record(tx, { action: 'users.two_factor_reset', target: { type: 'user', id: userId } });
    });
  }
}
