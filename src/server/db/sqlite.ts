import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  type CompiledQuery,
  createQueryId,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  IdentifierNode,
  type QueryCompiler,
  type QueryResult,
  RawNode,
  SelectQueryNode,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from 'kysely';
import { newMoment } from './change-version.ts';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/** Durability settings every embedded database runs with (reliability promise 17). */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000'];

/** A row read with big integers, its values as JS numbers (large ones approximate). */
function safeNumbers(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}

/**
 * The database is readable by its owner only: the data directory is created 0700 and the file
 * 0600 before SQLite opens it. SQLite gives its -wal and -shm files the main file's mode; files
 * left more open by an older version are tightened here.
 */
function restrictFiles(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
}

/**
 * Opens a SQLite file through Node's built-in `node:sqlite` and adapts it to Kysely's
 * SqliteDialect (which was written for better-sqlite3's array-parameter API).
 * Prepared statements are cached per SQL text.
 */
export function openSqlite(file: string): SqliteDatabase & { raw: DatabaseSync } {
  if (file !== ':memory:') restrictFiles(file);
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5000 });
  for (const pragma of SQLITE_PRAGMAS) db.exec(`PRAGMA ${pragma}`);
  const cache = new Map<string, SqliteStatement>();
  return {
    raw: db,
    close: () => {
      cache.clear();
      if (db.isOpen) db.close();
    },
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) return hit;
      const stmt: StatementSync = db.prepare(sql);
      const adapted: SqliteStatement = {
        reader: stmt.columns().length > 0,
        all: (params) => {
          try {
            return stmt.all(...(params as Param[]));
          } catch (err) {
            if ((err as { code?: string }).code !== 'ERR_OUT_OF_RANGE') throw err;
            // A stored integer beyond 2^53 (written by hand, or before limits existed): read it
            // rather than fail the whole read; readers clamp it to the documented bounds.
            stmt.setReadBigInts(true);
            try {
              return stmt.all(...(params as Param[])).map(safeNumbers);
            } finally {
              stmt.setReadBigInts(false);
            }
          }
        },
        run: (params) => stmt.run(...(params as Param[])),
        iterate: (params) => stmt.iterate(...(params as Param[])) as IterableIterator<unknown>,
      };
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      cache.set(sql, adapted);
      return adapted;
    },
  };
}

/**
 * SQLite with one writer and one reader connection (WAL lets readers run beside a writer).
 *
 * - A transaction takes the writer for its whole life and starts `BEGIN IMMEDIATE`, so it holds
 *   the write lock from its first statement: another process writing at the same time makes it
 *   wait (busy timeout) instead of failing later with "database is locked" on the upgrade.
 * - A SELECT outside a transaction runs on the reader, so a long write transaction (an import)
 *   never holds up a page load; it sees the last committed state.
 * - Any other statement outside a transaction takes the writer for that one statement.
 */
export class SqliteWalDialect extends SqliteDialect {
  readonly #file: string;

  constructor(file: string) {
    super({ database: async () => openSqlite(file) });
    this.#file = file;
  }

  #driver: WalDriver | null = null;

  override createDriver(): Driver {
    this.#driver = new WalDriver(this.#file);
    return this.#driver;
  }

  /**
   * A number that changes whenever anything is committed to the database, by this process's
   * writer or by another process (SQLite's `PRAGMA data_version`, read on the reader connection:
   * every commit is another connection's to it). Null while it cannot say: before the first
   * query, after closing, and for an in-memory database (whose reader is the writer itself).
   */
  dataVersion(): number | null {
    return this.#driver?.dataVersion() ?? null;
  }

  override createAdapter(): DialectAdapter {
    return new WalAdapter();
  }
}

class WalAdapter extends SqliteAdapter {
  // The driver hands out a handle per operation and serialises writes itself.
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

/** Waits in line for the single writer connection. */
class WriterLock {
  #tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return release;
  }
}

class WalDriver implements Driver {
  readonly #file: string;
  #writer: ReturnType<typeof openSqlite> | null = null;
  #reader: ReturnType<typeof openSqlite> | null = null;
  readonly #lock = new WriterLock();

  constructor(file: string) {
    this.#file = file;
  }

  async init(): Promise<void> {
    this.#writer = openSqlite(this.#file);
    // An in-memory database is private to its connection: read through the writer.
    this.#reader = this.#file === ':memory:' ? this.#writer : openSqlite(this.#file);
  }

  #dataVersion: StatementSync | null = null;

  dataVersion(): number | null {
    const reader = this.#reader;
    if (!reader || reader === this.#writer || !reader.raw.isOpen) return null;
    this.#dataVersion ??= reader.raw.prepare('PRAGMA data_version');
    return Number((this.#dataVersion.get() as { data_version: number }).data_version);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new WalConnection(
      this.#writer as ReturnType<typeof openSqlite>,
      this.#reader as ReturnType<typeof openSqlite>,
      this.#lock,
    );
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WalConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WalConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WalConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(parseSavepoint('savepoint', name), createQueryId()));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(compile(parseSavepoint('rollback to', name), createQueryId()));
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(compile(parseSavepoint('release', name), createQueryId()));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as WalConnection).release();
  }

  async destroy(): Promise<void> {
    this.#reader?.close();
    this.#writer?.close();
  }
}

function parseSavepoint(command: 'savepoint' | 'rollback to' | 'release', name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

/**
 * A statement was sent to a transaction SQLite had already rolled back after an earlier failure
 * (the caller caught that failure and went on). Nothing more is written; the earlier error is
 * the cause to report.
 */
export class TransactionEndedError extends Error {
  override name = 'TransactionEndedError';
  constructor(cause: unknown) {
    super('The transaction was rolled back by SQLite after an earlier failure; this statement was not run.', {
      cause,
    });
  }
}

/** One operation's handle: bound to the writer while in a transaction, else routed per statement. */
class WalConnection implements DatabaseConnection {
  readonly #writer: ReturnType<typeof openSqlite>;
  readonly #reader: ReturnType<typeof openSqlite>;
  readonly #lock: WriterLock;
  #release: (() => void) | null = null;
  /** The failure after which SQLite rolled the open transaction back, if any. */
  #endedBy: unknown = null;

  constructor(writer: ReturnType<typeof openSqlite>, reader: ReturnType<typeof openSqlite>, lock: WriterLock) {
    this.#writer = writer;
    this.#reader = reader;
    this.#lock = lock;
  }

  async begin(): Promise<void> {
    this.#release = await this.#lock.acquire();
    this.#endedBy = null;
    try {
      this.#writer.raw.exec('BEGIN IMMEDIATE');
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /**
   * Ends the transaction. A failed COMMIT keeps the writer (the transaction may still be open and
   * Kysely rolls it back next), so no other transaction begins on the connection in between. A
   * ROLLBACK of a transaction SQLite already ended (after SQLITE_FULL, SQLITE_IOERR, …) is skipped,
   * so the error that ended it reaches the caller instead of "cannot rollback". A ROLLBACK after a
   * COMMIT that failed with no transaction left open does nothing: the writer was released then,
   * and the transaction open on it now is another's.
   */
  async end(command: 'commit' | 'rollback'): Promise<void> {
    if (this.#release === null) return;
    const raw = this.#writer.raw;
    if (command === 'commit') {
      try {
        raw.exec('COMMIT');
        newMoment();
      } catch (err) {
        if (!raw.isTransaction) this.release();
        throw err;
      }
      this.release();
      return;
    }
    try {
      if (raw.isTransaction) raw.exec('ROLLBACK');
    } catch (err) {
      // Only a rollback that leaves the transaction open is worth reporting over the original error.
      if (raw.isTransaction) throw err;
    } finally {
      this.release();
    }
  }

  release(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#release) {
      // SQLite rolls the whole transaction back on some failures (a full disk, an I/O error): a
      // statement run after that would commit on its own, outside the transaction it belongs to.
      if (!this.#writer.raw.isTransaction) throw new TransactionEndedError(this.#endedBy);
      try {
        return run<R>(this.#writer, compiled);
      } catch (err) {
        if (!this.#writer.raw.isTransaction) this.#endedBy = err;
        throw err;
      }
    }
    if (SelectQueryNode.is(compiled.query)) return run<R>(this.#reader, compiled);
    const release = await this.#lock.acquire();
    try {
      return run<R>(this.#writer, compiled);
    } finally {
      // A statement outside a transaction commits on its own.
      newMoment();
      release();
    }
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('SQLite streams only SELECT queries.');
    // Its own statement: a cached one would be reset by the next query with the same text.
    const db = this.#release ? this.#writer : this.#reader;
    const stmt = db.raw.prepare(compiled.sql);
    // Read big integers as the adapter's retry does: a retry is impossible once rows have been
    // yielded, so a stored integer beyond 2^53 would otherwise fail the stream halfway.
    stmt.setReadBigInts(true);
    for (const row of stmt.iterate(...(compiled.parameters as Param[]))) yield { rows: [safeNumbers(row) as R] };
  }
}

function run<R>(db: ReturnType<typeof openSqlite>, compiled: CompiledQuery): QueryResult<R> {
  const stmt = db.prepare(compiled.sql);
  const params = compiled.parameters as unknown[];
  if (stmt.reader) return { rows: stmt.all(params) as R[] };
  const { changes, lastInsertRowid } = stmt.run(params) as {
    changes: number | bigint;
    lastInsertRowid: number | bigint;
  };
  return {
    insertId: lastInsertRowid != null ? BigInt(lastInsertRowid) : undefined,
    numAffectedRows: changes != null ? BigInt(changes) : undefined,
    rows: [],
  };
}
