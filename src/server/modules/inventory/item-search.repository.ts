/**
 * Which items make a page of a plain search on SQLite, by the cheaper of two plans (issue 20,
 * part 3). The FTS5 trigram index finds every match, then sorts them all by name: its cost grows
 * with the number of matches, so a common word at a million items costs most. Walking the items
 * in name order (`items_list_idx`, which carries the search text) and keeping those whose text
 * contains every term costs about (offset + limit) × items ÷ matches rows: small exactly when the
 * word is common. The counts that tell which (matches, items) are cached behind the item-count
 * version (item-counts.ts), so choosing costs nothing. Both plans give the same ids in the same
 * order.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { cachedItemCount } from './item-counts.repository.ts';

/** Rows the ordered walk may expect to read before the FTS index is the cheaper plan. */
const ORDERED_WALK_ROWS = 3000;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchPageIds(
  db: Kysely<DB>,
  q: {
    terms: string[];
    /** The FTS5 query for the terms. */
    match: string;
    status: 'active' | 'archived' | 'all';
    matches: number;
    page: { order: 'asc' | 'desc'; offset: number; limit: number };
    /** The item-count version the caller read (itemVersions); read again when not given. */
    countsVersion?: number;
    /** Rows the walk may expect to read (tests force either plan with 0 or Infinity). */
    walkRows?: number;
  },
): Promise<string[]> {
  const { page } = q;
  if (q.matches === 0 || page.offset >= q.matches) return [];
  const active = q.status === 'all' ? sql`` : sql` and active = ${q.status === 'active' ? 1 : 0}`;
  if (page.order === 'asc') {
    const items = await cachedItemCount(
      db,
      JSON.stringify(['all', q.status]),
      sql`select count(*) from items where 1 = 1${active}`,
      q.countsVersion,
    );
    if (((page.offset + page.limit) * items) / q.matches <= (q.walkRows ?? ORDERED_WALK_ROWS)) {
      const contains = q.terms.map((t) => sql` and search_text like ${`%${likeEscape(t)}%`} escape '\\'`);
      const walked = await sql<{ id: string }>`select id from items where 1 = 1${active}${sql.join(contains, sql``)}
        order by name, id limit ${page.limit} offset ${page.offset}`.execute(db);
      return walked.rows.map((r) => r.id);
    }
  }
  const dir = sql.raw(page.order === 'desc' ? 'desc' : 'asc');
  const found = await sql<{ item_id: string }>`select item_id from items_fts where items_fts match ${q.match}${active}
    order by name ${dir}, item_id limit ${page.limit} offset ${page.offset}`.execute(db);
  return found.rows.map((r) => r.item_id);
}
