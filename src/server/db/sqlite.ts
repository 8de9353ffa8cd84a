import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

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
 * Opens a SQLite file through Node's built-in `node:sqlite` and adapts it to Kysely's
 * SqliteDialect (which was written for better-sqlite3's array-parameter API).
 * Prepared statements are cached per SQL text.
 */
export function openSqlite(file: string): SqliteDatabase & { raw: DatabaseSync } {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
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
