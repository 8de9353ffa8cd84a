/** The SQL of user accounts (`users`), for the users service and `steward admin` (recovery.ts). */
import type { Kysely } from 'kysely';
import type { DB, UsersTable } from '../../db/schema.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';
import type { Trx } from '../context.ts';

const columns = [
  'users.id',
  'users.email',
  'users.name',
  'users.role_key',
  'roles.name as role_name',
  'users.artist_id',
  'users.active',
  'users.must_change_password',
  'users.password_hash',
  'users.locked_until',
  'users.last_login_at',
  'users.created_at',
  'users.updated_at',
] as const;

function base(db: Kysely<DB>) {
  return db
    .selectFrom('users')
    .innerJoin('roles', 'roles.key', 'users.role_key')
    .select(columns)
    .select((eb) =>
      eb
        .selectFrom('user_overrides')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('user_overrides.user_id', '=', 'users.id')
        .as('overrides'),
    );
}

/** The users the scope reaches (an `own` scope: only the actor's own account). */
export async function listUsers(
  db: Kysely<DB>,
  scope: Scope<'user'>,
  filter: { q?: string; status: 'active' | 'inactive' | 'all' },
) {
  let q = whereInScope(base(db), scope);
  if (filter.status !== 'all') q = q.where('users.active', '=', filter.status === 'active' ? 1 : 0);
  if (filter.q) {
    const like = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['users.name']), 'like', eb.val(like)),
        eb(eb.fn('lower', ['users.email']), 'like', eb.val(like)),
      ]),
    );
  }
  return q.orderBy('users.active', 'desc').orderBy('users.name').execute();
}

/** One user, or undefined when there is none or it is outside the scope (a 404 either way). */
export async function getUser(db: Kysely<DB>, scope: Scope<'user'>, id: string) {
  return whereInScope(base(db), scope).where('users.id', '=', id).executeTakeFirst();
}
export type UserRow = NonNullable<Awaited<ReturnType<typeof getUser>>>;

export async function updateUser(
  db: Kysely<DB>,
  id: string,
  patch: Partial<Pick<UsersTable, 'email' | 'name' | 'artist_id' | 'role_key' | 'active'>>,
  now: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Every account with what `steward admin list` shows, by email (the CLI's own view: no scope). */
export function listAccounts(db: Kysely<DB>) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role_key', 'artist_id', 'active', 'locked_until'])
    .orderBy('email')
    .execute();
}

/** Unlocks an account: forgets its failed sign-ins. */
export async function unlockUser(trx: Trx, id: string, now: string): Promise<void> {
  await trx
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}
