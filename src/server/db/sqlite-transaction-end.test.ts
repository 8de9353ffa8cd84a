/**
 * How the SQLite driver ends a transaction SQLite itself ended or could not commit: the failure
 * that ended it is what the caller sees, no statement runs outside the transaction it belongs to,
 * and no other transaction starts on the writer before the failed one is rolled back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskFullCause } from '../http/errors.ts';
import { SqliteWalDialect, TransactionEndedError } from './sqlite.ts';

type Schema = { t: { x: string }; parent: { id: number }; child: { parent_id: number } };

let dir: string;
let db: Kysely<Schema>;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'steward-sqlite-end-'));
  db = new Kysely<Schema>({ dialect: new SqliteWalDialect(path.join(dir, 'db.sqlite')) });
  await sql`create table t (x text)`.execute(db);
  await sql`create table parent (id integer primary key)`.execute(db);
  await sql`create table child (parent_id integer references parent(id) deferrable initially deferred)`.execute(db);
});

afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const rows = async () => (await db.selectFrom('t').select('x').execute()).map((r) => r.x);

describe('a transaction SQLite rolled back after a full disk', () => {
  it('runs no later statement outside it, and reports the full disk as the cause', async () => {
    await db.insertInto('t').values({ x: 'kept' }).execute();
    const { rows: pages } = await sql<{ page_count: number }>`pragma page_count`.execute(db);
    await sql.raw(`pragma max_page_count = ${Number(pages[0]?.page_count) + 1}`).execute(db);

    const outcome = await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('t').values({ x: 'first' }).execute();
        try {
          // Grows the database past its cap: SQLITE_FULL, and SQLite rolls the transaction back.
          for (let i = 0; i < 20; i++) await sql`insert into t values (randomblob(3000))`.execute(trx);
        } catch {
          // A caller that swallows the failure and goes on writing.
        }
        await trx.insertInto('t').values({ x: 'after' }).execute();
      })
      .catch((err: unknown) => err);

    expect(outcome).toBeInstanceOf(TransactionEndedError);
    expect(diskFullCause(outcome)?.message).toBe('database or disk is full');
    expect(await rows()).toEqual(['kept']);
    // The writer is free again: the next transaction runs.
    await sql.raw('pragma max_page_count = 1073741823').execute(db);
    await db.transaction().execute((trx) => trx.insertInto('t').values({ x: 'next' }).execute());
    expect(await rows()).toEqual(['kept', 'next']);
  });
});

describe('a COMMIT that fails', () => {
  it('keeps the writer until it is rolled back, so a waiting transaction is neither refused nor undone', async () => {
    // A deferred foreign key is checked at COMMIT: the COMMIT fails and the transaction stays open.
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto('child').values({ parent_id: 42 }).execute();
      await new Promise((r) => setTimeout(r, 20));
    });
    const waiting = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ x: 'waiting' }).execute();
      await trx.insertInto('t').values({ x: 'waiting too' }).execute();
    });
    const [a, b] = await Promise.allSettled([failing, waiting]);
    expect(a.status).toBe('rejected');
    expect(String((a as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(b.status).toBe('fulfilled');
    expect(await rows()).toEqual(['waiting', 'waiting too']);
    expect(await db.selectFrom('child').selectAll().execute()).toEqual([]);
  });
});

describe('a COMMIT that fails after the transaction has ended', () => {
  it('rolls back nothing of the transaction that takes the writer next', async () => {
    // The transaction ends inside (here by its own COMMIT), so Kysely's COMMIT fails with no
    // transaction open and Kysely then asks for a ROLLBACK: by then the writer is another's.
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ x: 'ended early' }).execute();
      await sql`commit`.execute(trx);
    });
    const waiting = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ x: 'waiting' }).execute();
      await new Promise((r) => setTimeout(r, 20));
      await trx.insertInto('t').values({ x: 'waiting too' }).execute();
    });
    const [a, b] = await Promise.allSettled([failing, waiting]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: undefined });
    expect(await rows()).toEqual(['ended early', 'waiting', 'waiting too']);
  });
});
