/** Sessions and the credentials side of user accounts: sign-in counters, locks, password hashes. */
import { prepared } from '../../db/prepared.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';
import type { Db } from '../context.ts';

export async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserById(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether the user exists and is within the scope (an `own` scope reaches only one's own account). */
export async function userInScope(db: Db, scope: Scope<'user'>, id: string): Promise<boolean> {
  const row = await whereInScope(db.selectFrom('users').select('users.id'), scope)
    .where('users.id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The live session for a token hash, joined with its user. */
const sessionById = prepared(
  (db, id: string) =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as session_id',
        'sessions.csrf_token',
        'sessions.created_at as session_created_at',
        'sessions.last_seen_at',
        'sessions.expires_at',
        'sessions.elevated_until',
        'sessions.ended_at',
        'sessions.handle',
        'users.id',
        'users.email',
        'users.name',
        'users.role_key',
        'users.artist_id',
        'users.active',
        'users.must_change_password',
      ])
      .where('sessions.id', '=', id),
  { untilChanged: true },
);

/** The live session for a token hash, joined with its user (built once: it runs on every request). */
export async function findSession(db: Db, id: string) {
  return (await sessionById(db, id))[0];
}

export async function insertSession(
  db: Db,
  s: {
    id: string;
    handle: string;
    userId: string;
    csrfToken: string;
    now: string;
    expiresAt: string;
    elevatedUntil?: string | null;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: s.id,
      user_id: s.userId,
      csrf_token: s.csrfToken,
      created_at: s.now,
      last_seen_at: s.now,
      expires_at: s.expiresAt,
      elevated_until: s.elevatedUntil ?? null,
      handle: s.handle,
      ip: s.ip,
      user_agent: s.userAgent,
      ended_at: null,
    })
    .execute();
}

/** The open session of `userId` with this handle (the id users see), if there is one. */
export async function findOpenSessionByHandle(db: Db, userId: string, handle: string) {
  return db
    .selectFrom('sessions')
    .select(['id'])
    .where('handle', '=', handle)
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function endSession(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ ended_at: now, elevated_until: null }).where('id', '=', id).execute();
}

/** Ends every open session of a user (deactivation, password change or reset). Returns how many. */
export async function endUserSessions(db: Db, userId: string, now: string): Promise<number> {
  const r = await db
    .updateTable('sessions')
    .set({ ended_at: now, elevated_until: null })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function setSessionElevation(db: Db, id: string, until: string | null): Promise<void> {
  await db.updateTable('sessions').set({ elevated_until: until }).where('id', '=', id).execute();
}

/** Sessions not ended and not past their absolute expiry (the idle check is the caller's). */
export async function listOpenSessions(db: Db, userId: string, now: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'handle', 'created_at', 'last_seen_at', 'expires_at', 'elevated_until', 'ip', 'user_agent'])
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export async function setPassword(
  db: Db,
  userId: string,
  passwordHash: string,
  mustChange: boolean,
  now: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      password_hash: passwordHash,
      must_change_password: mustChange ? 1 : 0,
      failed_logins: 0,
      locked_until: null,
      updated_at: now,
    })
    .where('id', '=', userId)
    .execute();
}

/**
 * Reserves one sign-in attempt against the account before the password is checked: one atomic
 * conditional UPDATE, so parallel attempts check at most `max` passwords. The reservation counts
 * as a failure until a success resets the counter. A lock that has run out starts afresh.
 * True when this attempt may check the password.
 */
export async function reserveLoginAttempt(db: Db, userId: string, max: number, now: string): Promise<boolean> {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null })
    .where('id', '=', userId)
    .where('locked_until', 'is not', null)
    .where('locked_until', '<=', now)
    .execute();
  const r = await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1), updated_at: now }))
    .where('id', '=', userId)
    .where('failed_logins', '<', max)
    .where('locked_until', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Locks the account when its failures have reached `max`; the failure count when this call locked it, else null. */
export async function lockLoginIfFull(
  db: Db,
  userId: string,
  max: number,
  until: string,
  now: string,
): Promise<number | null> {
  const r = await db
    .updateTable('users')
    .set({ locked_until: until, updated_at: now })
    .where('id', '=', userId)
    .where('failed_logins', '>=', max)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return null;
  const row = await db.selectFrom('users').select('failed_logins').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.failed_logins;
}

export async function recordLoginSuccess(db: Db, userId: string, now: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, last_login_at: now, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

export type NewUser = {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  roleKey: string;
  artistId?: string | null;
  mustChangePassword: boolean;
  now: string;
};

export async function insertUser(db: Db, u: NewUser): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: u.id,
      email: u.email,
      name: u.name,
      password_hash: u.passwordHash,
      role_key: u.roleKey,
      artist_id: u.artistId ?? null,
      active: 1,
      must_change_password: u.mustChangePassword ? 1 : 0,
      failed_logins: 0,
      locked_until: null,
      last_login_at: null,
      created_at: u.now,
      updated_at: u.now,
    })
    .execute();
}
