/**
 * How many items a filter matches, not recomputed while nothing that could change it changed.
 *
 * Every change that can change such a count bumps `data_versions.item_counts` in its own
 * transaction (database triggers, migration 2026-12-02-0501), whoever makes it: this server, another
 * instance on the same PostgreSQL database, or a CLI command. A count is computed in the same
 * statement as the version it was read at, so the pair is one snapshot, and is served again only
 * while that version stands: one indexed read of a one-row table instead of a count over every
 * matching item.
 */
import { type Expression, type Kysely, sql } from 'kysely';
import { prepared } from '../../db/prepared.ts';
import type { DB } from '../../db/schema.ts';

const NAME = 'item_counts';
const MAX_ENTRIES = 500;

type Entry = { version: number; n: number };
/** Per database (tests build many apps in one process). */
const caches = new WeakMap<object, Map<string, Entry>>();

/** A data version (one primary-key read): `item_counts`, or `items` (whatever an item page shows). */
export async function dataVersion(db: Kysely<DB>, name: 'item_counts' | 'items'): Promise<number> {
  const [row] = await versionOf(db, name);
  return Number(row?.version ?? 0);
}
// Kept while nothing is committed (SQLite): a version only moves in a writing transaction.
const versionOf = prepared(
  (db, name: string) => db.selectFrom('data_versions').select('version').where('name', '=', name),
  { untilChanged: true },
);

/** The current item-count version. */
export const itemCountsVersion = (db: Kysely<DB>) => dataVersion(db, NAME);

const versionsOf = prepared(
  (db, names: readonly string[]) =>
    db.selectFrom('data_versions').select(['name', 'version']).where('name', 'in', names),
  { untilChanged: true },
);

/**
 * Both versions in one read, for a request that needs the ETag (`items`) and counts: the item
 * list reads nothing else before its page.
 */
export async function itemVersions(db: Kysely<DB>): Promise<{ items: number; itemCounts: number }> {
  const rows = await versionsOf(db, ['items', NAME]);
  const of = (name: string) => Number(rows.find((r) => r.name === name)?.version ?? 0);
  return { items: of('items'), itemCounts: of(NAME) };
}

/**
 * The count of `count` (an expression yielding one number), served from the cache under `key`
 * while the version it was computed at is current: `version` when the caller has just read it
 * (itemVersions), else read here.
 */
export async function cachedItemCount(
  db: Kysely<DB>,
  key: string,
  count: Expression<unknown>,
  version?: number,
): Promise<number> {
  // A version moves once per writing transaction (PostgreSQL, migration 0502): inside one, a count
  // cached before the transaction's own next change would outlive it. Counted afresh there.
  if (db.isTransaction)
    return Number((await sql<{ n: number | string }>`select (${count}) as n`.execute(db)).rows[0]?.n ?? 0);
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  const hit = cache.get(key);
  if (hit && hit.version === (version ?? (await itemCountsVersion(db)))) return hit.n;
  const { rows } = await sql<{ v: number | string; n: number | string }>`select
    (select version from data_versions where name = ${NAME}) as v, (${count}) as n`.execute(db);
  const entry = { version: Number(rows[0]?.v ?? 0), n: Number(rows[0]?.n ?? 0) };
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(key, entry);
  return entry.n;
}
