/**
 * A plain search on SQLite takes the cheaper of two plans for its page (issue 20, part 3): the
 * FTS5 trigram index, or a walk in name order keeping the items that contain every term. Both
 * must give exactly the page a plain scan gives: same ids, same order, every page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import { insertItem, listItems } from '../src/server/modules/inventory/inventory.repository.ts';
import { searchPageIds } from '../src/server/modules/inventory/item-search.repository.ts';

describe('item search plans on sqlite', () => {
  let dir: string;
  let database: Database;
  const names = ['Gloves nitrile', 'Pipette tips', 'Glove box', 'Red ink 10 ml', 'Nitrile gloves XL', 'Agar plate'];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-search-'));
    database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'db.sqlite') });
    await migrateToLatest(database.db);
    const now = new Date().toISOString();
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 300; i++) {
        const name = `${names[i % names.length]} ${i % 7}`;
        await insertItem(
          trx,
          { id: `i-${String(i).padStart(3, '0')}`, sku: `S-${i}`, name, active: i % 10 === 9 ? 0 : 1 },
          now,
        );
      }
    });
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The page a plain scan gives: every active item containing every term, by name then id. */
  async function reference(terms: string[], offset: number, limit: number): Promise<string[]> {
    const rows = await database.db
      .selectFrom('items')
      .select(['id', 'name', 'search_text'])
      .where('active', '=', 1)
      .execute();
    return rows
      .filter((r) => terms.every((t) => r.search_text.includes(t)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
      .slice(offset, offset + limit)
      .map((r) => r.id);
  }

  it('gives the plain scan’s page by either plan, on every page', async () => {
    for (const terms of [['glove'], ['nitrile', 'glove'], ['ink'], ['agar', 'plate 3']]) {
      const match = terms.map((t) => `"${t}"`).join(' AND ');
      for (const offset of [0, 20, 100]) {
        const page = { order: 'asc' as const, offset, limit: 20 };
        const expected = await reference(terms, offset, 20);
        const matches = (await reference(terms, 0, 1000)).length;
        const plan = (walkRows: number) =>
          searchPageIds(database.db, { terms, match, status: 'active', matches, page, walkRows });
        expect(await plan(Number.POSITIVE_INFINITY)).toEqual(expected);
        expect(await plan(0)).toEqual(expected);
      }
    }
  });

  it('answers the list with the same items and total whichever plan it chooses', async () => {
    const page = { sort: 'name' as const, order: 'asc' as const, offset: 0, limit: 25 };
    const { rows, total } = await listItems(database.db, 'sqlite', { q: 'glove', status: 'active' }, page);
    expect(rows.map((r) => r.id)).toEqual(await reference(['glove'], 0, 25));
    expect(total).toBe((await reference(['glove'], 0, 1000)).length);
  });
});
