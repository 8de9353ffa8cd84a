import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/** Durability settings every embedded database runs with (reliability promise 17). */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000'];

/**
 * Opens a SQLite file through Node's built-in `node:sqlite` and adapts it to Kysely's
 * SqliteDialect (which was written for better-sqlite3's array-parameter API).
 * Prepared statements are cached per SQL text.
 */
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
        all: (params) => stmt.all(...(params as Param[])),
        run: (params) => stmt.run(...(params as Param[])),
        iterate: (params) => stmt.iterate(...(params as Param[])) as IterableIterator<unknown>,
      };
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      cache.set(sql, adapted);
      return adapted;
    },
  };
}
