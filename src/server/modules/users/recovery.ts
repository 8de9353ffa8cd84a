/**
 * `steward admin …`: the way back for a business locked out of its own accounts (a forgotten
 * password, no administrator left). It runs on the server's machine with access to the data
 * directory — whoever can run it can read the database anyway — and works beside a running
 * server: its writes are ordinary transactions (BEGIN IMMEDIATE on SQLite, the access-change
 * lock on PostgreSQL) and every change applies to the server's very next request.
 */
import { userInfo } from 'node:os';
import { TEMPLATES } from '../../../shared/permissions/templates.ts';
import { type Database, transaction } from '../../db/database.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { endUserSessions, findUserByEmail, setPassword } from '../auth/auth.repository.ts';
import type { PasswordHasher } from '../auth/password.ts';
import { holdsAdminSet, lockAccessChanges } from '../permissions/guard-rails.ts';
import { loadSubject } from '../permissions/subjects.ts';
import type { RolesService } from '../roles/roles.service.ts';
import { revokeUserApiKeys } from '../security/security.repository.ts';
import { getSetting } from '../settings/settings.repository.ts';
import { type Business, loadSecurity, SETTING } from '../settings/settings.service.ts';
import { updateUser } from './users.repository.ts';
import { temporaryPassword } from './users.service.ts';

export type RecoveryDeps = {
  readonly database: Database;
  readonly audit: AuditService;
  readonly roles: RolesService;
  readonly hasher: PasswordHasher;
  readonly now: () => number;
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
export async function listAdministrators(deps: RecoveryDeps): Promise<AdminListing[]> {
  const { db } = deps.database;
  const engine = await deps.roles.engine();
  const business = await getSetting<Business>(db, SETTING.business);
  const adminRole = business ? TEMPLATES[business.template].adminRole : null;
  const users = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role_key', 'artist_id', 'active', 'locked_until'])
    .orderBy('email')
    .execute();
  const out: AdminListing[] = [];
  for (const u of users) {
    const subject = await loadSubject(db, { ...u, active: 1 });
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
  deps: RecoveryDeps,
  options: { email: string; restoreAdmin: boolean; resetPassword: boolean },
): Promise<{ temporaryPassword: string | null; name: string; role: string }> {
  const { db, engine: kind } = deps.database;
  const email = options.email.trim().toLowerCase();
  const user = await findUserByEmail(db, email);
  if (!user)
    throw new RecoveryError(`There is no user with the email ${email}. \`steward admin list\` shows who there is.`);
  const business = await getSetting<Business>(db, SETTING.business);
  if (!business) throw new RecoveryError('Steward is not set up yet: run `steward init` or open the setup page.');
  const adminRole = TEMPLATES[business.template].adminRole;
  const { passwordPolicy } = await loadSecurity(db);
  const plain = options.resetPassword ? temporaryPassword(passwordPolicy) : null;
  const hash = plain ? await deps.hasher.hash(plain) : null;
  const now = new Date(deps.now()).toISOString();
  await transaction(db, async (trx) => {
    await lockAccessChanges(trx, kind);
    const before = { role: user.role_key, active: user.active === 1 };
    let liftedDenies: string[] = [];
    if (options.restoreAdmin) {
      await updateUser(trx, user.id, { role_key: adminRole, active: 1 }, now);
      const denies = await trx
        .selectFrom('user_overrides')
        .select('permission')
        .where('user_id', '=', user.id)
        .where('effect', '=', 'deny')
        .execute();
      liftedDenies = denies.map((d) => d.permission);
      if (liftedDenies.length > 0) {
        await trx.deleteFrom('user_overrides').where('user_id', '=', user.id).where('effect', '=', 'deny').execute();
      }
    }
    if (hash) {
      await setPassword(trx, user.id, hash, true, now);
      await revokeUserApiKeys(trx, user.id, user.id, now);
    } else {
      await trx
        .updateTable('users')
        .set({ failed_logins: 0, locked_until: null, updated_at: now })
        .where('id', '=', user.id)
        .execute();
    }
    const sessions = await endUserSessions(trx, user.id, now);
    await deps.audit.record(trx, {
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
      },
      context: { requestId: `cli:admin-recover:${now}`, ip: null, userAgent: 'steward-cli' },
    });
  });
  const engine = await deps.roles.engine();
  const role = options.restoreAdmin ? adminRole : user.role_key;
  return {
    temporaryPassword: plain,
    name: user.name,
    role: engine.roleDefs().find((r) => r.key === role)?.name ?? role,
  };
}
