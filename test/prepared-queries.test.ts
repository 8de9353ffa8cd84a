import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import { prepared } from '../src/server/db/prepared.ts';
import { getSettings } from '../src/server/modules/settings/settings.repository.ts';
import { createTestDatabase, ENGINES } from './harness.ts';

describe.each(ENGINES)('queries built once (prepared) on %s', (engine) => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const made = await createTestDatabase(engine);
    drop = made.drop;
    database = openDatabase(made.config);
    await migrateToLatest(database.db);
    const now = new Date().toISOString();
    await database.db
      .insertInto('settings')
      .values(['a', 'b', 'c'].map((key, i) => ({ key: `prep.${key}`, value: JSON.stringify(i), updated_at: now })))
      .execute();
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  it('builds a query once, then runs it with each call’s own arguments (lists of any length)', async () => {
    let builds = 0;
    const byKeys = prepared((db, keys: readonly string[], above: string) => {
      builds++;
      return db
        .selectFrom('settings')
        .select(['key', 'value'])
        .where('key', 'in', keys)
        .where('key', '>', above)
        .orderBy('key');
    });
    const keys = (rows: { key: string }[]) => rows.map((r) => r.key);
    expect(keys(await byKeys(database.db, ['prep.a', 'prep.b'], ''))).toEqual(['prep.a', 'prep.b']);
    expect(keys(await byKeys(database.db, ['prep.b', 'prep.c'], 'prep.b'))).toEqual(['prep.c']);
    expect(keys(await byKeys(database.db, ['prep.c', 'prep.a'], ''))).toEqual(['prep.a', 'prep.c']);
    expect(builds).toBe(1);
    expect(keys(await byKeys(database.db, ['prep.a', 'prep.b', 'prep.c'], 'prep.a'))).toEqual(['prep.b', 'prep.c']);
    expect(builds).toBe(2); // another list length, another shape
    // Inside a transaction: the same query, on the transaction's connection (it sees its own writes).
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values({ key: 'prep.d', value: '3', updated_at: '' }).execute();
      expect(keys(await byKeys(trx, ['prep.d', 'prep.a'], 'prep.a'))).toEqual(['prep.d']);
    });
    expect(builds).toBe(2);
  });

  it('keeps what the repository functions built on it return', async () => {
    const s = await getSettings(database.db, ['prep.a', 'prep.c', 'prep.none']);
    expect([...s]).toEqual(
      expect.arrayContaining([
        ['prep.a', 0],
        ['prep.c', 2],
      ]),
    );
    expect(s.size).toBe(2);
    expect((await getSettings(database.db, ['prep.b'])).get('prep.b')).toBe(1);
    expect((await getSettings(database.db, [])).size).toBe(0);
  });

  it('refuses a query whose arguments do not each become one parameter', async () => {
    const inlined = prepared((db, key: string) =>
      db.selectFrom('settings').select('key').where('key', '=', key.toUpperCase()),
    );
    await expect(inlined(database.db, 'prep.a')).rejects.toThrow(/each argument must be exactly one parameter/);
  });
});
