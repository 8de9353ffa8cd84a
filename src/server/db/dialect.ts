/**
 * Everything that differs between SQLite and PostgreSQL lives here, so repositories
 * stay identical on both engines.
 */
import { createRequire } from 'node:module';
import { type Dialect, type Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type Pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import { SQLITE_PRAGMAS, SqliteWalDialect } from './sqlite.ts';

export type Engine = DatabaseConfig['kind'];

/** Statement texts given a name, each parsed once per connection: at most this many. */
const MAX_NAMED = 2000;
const names = new Map<string, string | null>();

/** The prepared-statement name of `text`, or null for one run unnamed (see PreparingClient). */
function statementName(text: string, parameters: number): string | null {
  const known = names.get(text);
  if (known !== undefined) return known;
  // Long texts and long parameter lists are the variable-length ones (imports, lists of ids):
  // naming them would keep a plan on the server for each length.
  if (parameters > 64 || text.length > 4000 || names.size >= MAX_NAMED) return null;
  const name = `steward_${names.size}`;
  names.set(text, name);
  return name;
}

/**
 * A pg client that runs each query with parameters as a named prepared statement: PostgreSQL
 * parses and plans it once per connection and later calls only bind and execute (Kysely sends
 * every query by its text). Queries without parameters (migrations, several statements in one
 * text) go as they are, through the simple protocol.
 */
const preparingClient = (pg: typeof Pg) =>
  class PreparingClient extends pg.Client {
    override query(...args: unknown[]): never {
      const [text, values] = args;
      if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
        const name = statementName(text, values.length);
        if (name) {
          return (super.query({ name, text, values }) as Promise<unknown>).catch((err: unknown) => {
            // A table changed under a plan kept since (another instance migrated the database while
            // this one ran): the text runs unnamed from now on, and this once again.
            if ((err as { code?: string }).code !== '0A000' || !/cached plan/.test(String(err))) throw err;
            names.set(text, null);
            return super.query(text, values);
          }) as never;
        }
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  };

export function createDialect(config: DatabaseConfig): Dialect {
  if (config.kind === 'sqlite') return new SqliteWalDialect(config.file);
  // pg is loaded only for PostgreSQL: a server on SQLite never holds it (about 1.5 MB).
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  // int8 (COUNT(*), bigint columns) as numbers: every value Steward stores fits in 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    connectionTimeoutMillis: 5000,
    Client: preparingClient(pg),
  });
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
