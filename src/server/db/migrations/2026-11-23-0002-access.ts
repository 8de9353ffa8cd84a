import { type Kysely, sql } from 'kysely';

/** Access control: API keys, throttling counters, master codes, approvals of critical grants, session handles. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A public handle for each session, so a user can list and end sessions without ever seeing
  // the token hash that authenticates them.
  await db.schema.alterTable('sessions').addColumn('handle', 'text').execute();
  await sql`update sessions set handle = substr(id, 1, 24)`.execute(db);
  await db.schema.createIndex('sessions_handle_idx').on('sessions').column('handle').unique().execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('api_keys_user_idx').on('api_keys').column('user_id').execute();

  // Failure counters for throttling (login per address, master code per user and per address).
  await db.schema
    .createTable('throttles')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .execute();

  // The master code: only its bcrypt hash. One current row (retired_at null); failures across
  // everyone are counted on it, and it is disabled after too many.
  await db.schema
    .createTable('master_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_at', 'text')
    .addColumn('retired_at', 'text')
    .execute();

  // Grants of critical permissions waiting for a second admin (when the setting asks for it).
  await db.schema
    .createTable('permission_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('permission', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema.createIndex('permission_requests_status_idx').on('permission_requests').column('status').execute();
}
