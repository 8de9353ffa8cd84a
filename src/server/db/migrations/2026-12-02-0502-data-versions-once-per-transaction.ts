import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * On PostgreSQL, each data version moves once per writing transaction, not once per row or
 * statement (migration 2026-12-02-0501). Others see a transaction's changes all at once, so one
 * step tells them as much as a thousand; but a thousand updates of one row in one transaction
 * leave a chain of row versions that each further update walks: a bulk edit of 5,000 items took
 * 13–22 s against 4.7 s without the triggers. The function notes the transaction id it bumped in
 * (a transaction-local setting, undone with the transaction or savepoint that set it) and skips
 * the bump when it already did. SQLite updates the row in place, and is left as it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [fn, name] of [
    ['bump_item_counts', 'item_counts'],
    ['bump_items_shown', 'items'],
  ] as const) {
    await sql
      .raw(`create or replace function ${fn}() returns trigger language plpgsql as $$
        begin
          if current_setting('steward.bumped_${name}', true) is distinct from txid_current()::text then
            perform pg_advisory_xact_lock(1398030679);
            update data_versions set version = version + 1 where name = '${name}';
            perform set_config('steward.bumped_${name}', txid_current()::text, true);
          end if;
          return null;
        end $$`)
      .execute(db);
  }
}
