/**
 * Everything that differs between SQLite and PostgreSQL lives here, so repositories
 * stay identical on both engines.
 */
import { type Dialect, type Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import { SQLITE_PRAGMAS, SqliteWalDialect } from './sqlite.ts';

export type Engine = DatabaseConfig['kind'];

// int8 (COUNT(*), bigint columns) as numbers: every value Steward stores fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createDialect(config: DatabaseConfig): Dialect {
  if (config.kind === 'sqlite') return new SqliteWalDialect(config.file);
  const pool = new pg.Pool({ connectionString: config.url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  return new PostgresDialect({ pool });
}

/** True when `err` is a unique-constraint violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; errcode?: number };
  return e.code === '23505' || e.errcode === 2067 || e.errcode === 1555 || /UNIQUE constraint failed/.test(e.message);
}

/**
 * Serializes appends to a chain (e.g. the audit log) inside a transaction. PostgreSQL takes a
 * transaction-scoped advisory lock; SQLite already runs one writer at a time on its single connection.
 */
export async function lockChain<T>(trx: Transaction<T>, engine: Engine, chainId: number): Promise<void> {
  if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${chainId})`.execute(trx);
}

/**
 * Locks one row (by its `id`) until the transaction ends, so read-check-write sequences on it run
 * one at a time: `select … for update` on PostgreSQL. SQLite needs nothing: every transaction holds
 * the database's write lock from its first statement (the WAL driver's writer, `BEGIN IMMEDIATE`),
 * so transactions in this process and in others already run one at a time.
 */
export async function lockRow<T>(trx: Transaction<T>, engine: Engine, table: string, id: string): Promise<void> {
  if (engine === 'postgres') await sql`select 1 from ${sql.table(table)} where id = ${id} for update`.execute(trx);
}

/** The engine's durability settings as it reports them (for /readyz and tests). */
export async function durability<T>(db: Kysely<T>, engine: Engine): Promise<Record<string, string>> {
  if (engine === 'postgres') {
    const r = await sql<{ fsync: string; synchronous_commit: string; full_page_writes: string }>`
      select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit,
        current_setting('full_page_writes') as full_page_writes`.execute(db);
    return { ...(r.rows[0] as Record<string, string>) };
  }
  const out: Record<string, string> = {};
  for (const pragma of SQLITE_PRAGMAS) {
    const name = pragma.split(' ')[0] as string;
    const r = await sql.raw<Record<string, unknown>>(`PRAGMA ${name}`).execute(db);
    out[name] = String(Object.values(r.rows[0] ?? {})[0]);
  }
  return out;
}
