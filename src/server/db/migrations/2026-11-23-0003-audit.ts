import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Events get an indexed area; the audit log becomes append-only in the database itself (triggers refuse UPDATE and DELETE),
 * gains the indexes its search uses, and a table of signed checkpoints.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // The area of an event (the first part of its action: "auth", "users", …), for the Audit
  // page's area filter: an index on (area, seq) answers "newest N of an area" directly.
  await db.schema.alterTable('audit_events').addColumn('area', 'text').execute();
  await sql
    .raw(
      postgres
        ? `update audit_events set area = split_part(action, '.', 1)`
        : `update audit_events set area = substr(action, 1, instr(action || '.', '.') - 1)`,
    )
    .execute(db);
  await db.schema.createIndex('audit_events_area_idx').on('audit_events').columns(['area', 'seq']).execute();

  if (postgres) {
    await sql`
      create function steward_audit_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_events is append-only';
      end $$`.execute(db);
    await sql`
      create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function steward_audit_append_only()`.execute(db);
  } else {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger audit_events_no_${op} before ${op} on audit_events
           begin select raise(abort, 'audit_events is append-only'); end`,
        )
        .execute(db);
    }
  }

  await db.schema.createIndex('audit_events_action_idx').on('audit_events').columns(['action', 'seq']).execute();
  // Target ids are unique enough on their own; a leading low-cardinality type column makes
  // SQLite's planner prefer a rowid scan for "newest events of this target before N".
  await db.schema.createIndex('audit_events_target_idx').on('audit_events').columns(['target_id', 'seq']).execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
}
