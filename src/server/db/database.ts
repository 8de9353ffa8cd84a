import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';
import type { DatabaseConfig } from '../config.ts';
import { registerDataVersion } from './change-version.ts';
import { createDialect, type Engine } from './dialect.ts';
import type { DB } from './schema.ts';
import { SqliteWalDialect } from './sqlite.ts';

export type Database = {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  close(): Promise<void>;
};

export function openDatabase(config: DatabaseConfig): Database {
  const dialect = createDialect(config);
  const db = new Kysely<DB>({ dialect });
  if (dialect instanceof SqliteWalDialect) registerDataVersion(db, () => dialect.dataVersion());
  return { db, engine: config.kind, close: () => db.destroy() };
}

const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations');

/** Loads every migration file; file-name order is run order. */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      out[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration;
    }
    return out;
  }
}

function migrator(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider() });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<DB>): Promise<NonNullable<MigrationResultSet['results']>> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return results ?? [];
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Cheap liveness query for readiness checks. */
export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
