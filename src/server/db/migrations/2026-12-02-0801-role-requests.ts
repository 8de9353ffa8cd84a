import type { Kysely } from 'kysely';

/**
 * Role requests (issue 19, the second-admin rule's follow-up): with "critical grants need a second
 * admin" on, creating or editing a role, or giving a user a role, that adds a critical permission
 * waits here for another admin instead of being refused. `payload` is the change as JSON (the
 * role's fields, or the role to assign); `critical` the critical permissions it adds (JSON list).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('role_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('role_key', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('critical', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema.createIndex('role_requests_status_idx').on('role_requests').column('status').execute();
}
