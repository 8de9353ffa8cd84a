/**
 * PostgreSQL runs queries with parameters as named prepared statements (src/server/db/dialect.ts).
 * A table changed under a kept plan — another instance migrating the shared database while this
 * one runs — must not turn reads into 500s: the statement runs unnamed from then on.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

describe.each(ENGINES.filter((e) => e === 'postgres'))('named statements on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('keeps answering when a table changes under plans kept on every connection', async () => {
    const item = await createItem(admin);
    const read = () => send(base, 'GET', `/api/v1/items/${item.id}`, undefined, sessionHeaders(admin));
    // Parallel reads, so the pool's connections each prepare the item query.
    expect((await Promise.all(Array.from({ length: 30 }, read))).map((r) => r.status)).toEqual(Array(30).fill(200));
    await sql`alter table items add column added_by_another_instance text`.execute(t.app.services.database.db);
    const after = await Promise.all(Array.from({ length: 30 }, read));
    expect(after.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(after[0]?.body).toMatchObject({ id: item.id });
  });
});
