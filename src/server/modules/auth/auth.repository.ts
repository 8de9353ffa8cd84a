import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';

export async function findUserByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserById(db: Kysely<DB>, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countUsers(db: Kysely<DB>): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The live session for a token hash, joined with its user. */
export async function findSession(db: Kysely<DB>, id: string) {
  return db
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
      'users.id',
      'users.email',
      'users.name',
      'users.role_key',
      'users.artist_id',
      'users.active',
      'users.must_change_password',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
}

export async function loadOverrides(db: Kysely<DB>, userId: string) {
  return db
    .selectFrom('user_overrides')
    .leftJoin('users as by', 'by.id', 'user_overrides.granted_by')
    .select([
      'user_overrides.permission',
      'user_overrides.effect',
      'user_overrides.scope',
      'user_overrides.expires_at',
      'user_overrides.reason',
      'user_overrides.created_at',
      'by.name as by_name',
    ])
    .where('user_overrides.user_id', '=', userId)
    .execute();
}

export async function insertSession(
  db: Kysely<DB>,
  s: {
    id: string;
    userId: string;
    csrfToken: string;
    now: string;
    expiresAt: string;
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
      elevated_until: null,
      ip: s.ip,
      user_agent: s.userAgent,
      ended_at: null,
    })
    .execute();
}

export async function touchSession(db: Kysely<DB>, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function endSession(db: Kysely<DB>, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ ended_at: now, elevated_until: null }).where('id', '=', id).execute();
}

export async function recordLoginFailure(db: Kysely<DB>, userId: string, lockedUntil: string | null, now: string) {
  await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1), locked_until: lockedUntil, updated_at: now }))
    .where('id', '=', userId)
    .execute();
}

export async function recordLoginSuccess(db: Kysely<DB>, userId: string, now: string): Promise<void> {
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
  mustChangePassword: boolean;
  now: string;
};

export async function insertUser(db: Kysely<DB>, u: NewUser): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: u.id,
      email: u.email,
      name: u.name,
      password_hash: u.passwordHash,
      role_key: u.roleKey,
      artist_id: null,
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
