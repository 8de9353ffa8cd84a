/**
 * `steward admin …`: the way back for a business locked out of its own accounts (a forgotten
 * password, no administrator left). It runs on the server's machine with access to the data
 * directory — whoever can run it can read the database anyway — and works beside a running
 * server: its writes are ordinary transactions (BEGIN IMMEDIATE on SQLite, the access-change
 * lock on PostgreSQL) and every change applies to the server's very next request.
 */
import { userInfo } from 'node:os';
import { TEMPLATES } from '../../../shared/permissions/templates.ts';
import type { Database } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { PasswordHasher } from '../auth/password.ts';
import { type Context, inTransaction } from '../context.ts';
import { holdsAdminSet, lockAccessChanges } from '../permissions/guard-rails.ts';
import { liftDenies } from '../permissions/permissions.service.ts';
import { loadSubjects } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import type { SecurityService } from '../security/security.service.ts';
import { loadBusiness, loadSecurity } from '../settings/settings.service.ts';
import type { TwoFactorService } from '../two-factor/two-factor.service.ts';
import { listAccounts, unlockUser, updateUser } from './users.repository.ts';
import { temporaryPassword } from './users.service.ts';

/** The CLI's own commands: no signed-in actor; the handle comes from the context. */
export type CliContext = Context<null>;

export type RecoveryDeps = {
  /** Only asked which engine it runs (for the access-change lock). */
  readonly database: Pick<Database, 'engine'>;
  readonly audit: AuditService;
  readonly roles: RolesService;
  readonly hasher: PasswordHasher;
  readonly now: () => number;
  readonly auth: AuthService;
  readonly security: SecurityService;
  readonly twoFactor: TwoFactorService;
};

export type AdminListing = {
  email: string;
  name: string;
  role: string;
  active: boolean;
  /** Holds the whole administrative set now, without an end date. */
  administrator: boolean;
  locked: boolean;
};

export class RecoveryError extends Error {
  override name = 'RecoveryError';
}

/** Who the OS says is running the command, for the audit event. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Every user who holds the administrative set, or whose role is the template's admin role. */
export async function listAdministrators(ctx: CliContext, deps: RecoveryDeps): Promise<AdminListing[]> {
  const { db } = ctx;
  const engine = await deps.roles.engine(db);
  const business = await loadBusiness(db);
  const adminRole = business ? TEMPLATES[business.template].adminRole : null;
  const users = await listAccounts(db);
  const subjects = await loadSubjects(
    db,
    users.map((u) => ({ ...u, active: 1 })),
  );
  const out: AdminListing[] = [];
  for (const [i, u] of users.entries()) {
    const subject = subjects[i] as (typeof subjects)[number];
    const lasting = {
      ...subject,
      overrides: subject.overrides.filter((o) => o.effect === 'deny' || o.expiresAt === null),
    };
    const administrator = holdsAdminSet(engine, lasting);
    if (!administrator && u.role_key !== adminRole) continue;
    out.push({
      email: u.email,
      name: u.name,
      role: engine.roleDefs().find((r) => r.key === u.role_key)?.name ?? u.role_key,
      active: u.active === 1,
      administrator: administrator && u.active === 1,
      locked: u.locked_until !== null && Date.parse(u.locked_until) > deps.now(),
    });
  }
  return out;
}

/**
 * Recovers one account: optionally gives it the template's Admin role back (reactivating it and
 * lifting its denies on the administrative set), optionally resets its password to a one-time
 * temporary one (to be changed at the next sign-in). Always unlocks it and ends its sessions.
 * One audit event, `users.recovered`, names the OS user who ran it.
 */
export async function recoverAdmin(
  ctx: CliContext,
  deps: RecoveryDeps,
  options: { email: string; restoreAdmin: boolean; resetPassword: boolean; resetTwoFactor?: boolean },
): Promise<{ temporaryPassword: string | null; name: string; role: string }> {
  const { db } = ctx;
  const email = options.email.trim().toLowerCase();
  const business = await loadBusiness(db);
  if (!business) throw new RecoveryError('Steward is not set up yet: run `steward init` or open the setup page.');
  const adminRole = TEMPLATES[business.template].adminRole;
  const { passwordPolicy } = await loadSecurity(db);
  const plain = options.resetPassword ? temporaryPassword(passwordPolicy) : null;
  const hash = plain ? await deps.hasher.hash(plain) : null;
  const now = new Date(deps.now()).toISOString();
  const user = await inTransaction(ctx, async (tx) => {
    const trx = tx.db;
    await lockAccessChanges(trx, deps.database.engine);
    // Read after the lock: the account as it is when the recovery applies, not before the hash.
    const user = await deps.auth.findAccountByEmail(tx, email);
    if (!user)
      throw new RecoveryError(`There is no user with the email ${email}. \`steward admin list\` shows who there is.`);
    const before = { role: user.role_key, active: user.active === 1 };
    let liftedDenies: string[] = [];
    if (options.restoreAdmin) {
      await updateUser(trx, user.id, { role_key: adminRole, active: 1 }, now);
      liftedDenies = await liftDenies(trx, user.id);
    }
    if (hash) {
      await deps.auth.setPassword(tx, user.id, hash, true);
      await deps.security.revokeUserApiKeys(tx, user.id, user.id);
    } else {
      await unlockUser(trx, user.id, now);
    }
    const twoFactorReset = options.resetTwoFactor === true && (await deps.twoFactor.removeFor(tx, user.id));
    const sessions = await deps.auth.endUserSessions(tx, user.id);
    await deps.audit.record(tx, {
      action: 'users.recovered',
      actor: { userId: null, label: `steward admin recover (OS user ${osUser()})` },
      target: { type: 'user', id: user.id },
      before,
      after: {
        role: options.restoreAdmin ? adminRole : user.role_key,
        active: options.restoreAdmin ? true : before.active,
        passwordReset: plain !== null,
        liftedDenies,
        sessionsEnded: sessions,
        ...(options.resetTwoFactor ? { twoFactorReset } : {}),
      },
      context: ctx.request ?? { requestId: `cli:admin-recover:${now}`, ip: null, userAgent: 'steward-cli' },
    });
    return user;
  });
  const engine = await deps.roles.engine(db);
  const role = options.restoreAdmin ? adminRole : user.role_key;
  return {
    temporaryPassword: plain,
    name: user.name,
    role: engine.roleDefs().find((r) => r.key === role)?.name ?? role,
  };
}
