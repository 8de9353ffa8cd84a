/**
 * Inventory at 100,000 items on the embedded SQLite database:
 * - search: p50/p95 of the items list with a search term (FTS5 trigram index), against the
 *   baseline of the same query answered by a LIKE scan without the index, in the same run;
 * - export: peak live heap (sampled after full collections) while streaming CSV and XLSX of
 *   10,000 and of 100,000 items; flat means the larger export holds no more memory than the smaller.
 * Run: npm run bench:inventory   (ITEMS=… to change the size)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import type { Actor } from '../src/server/http/actor.ts';
import { AuditService } from '../src/server/modules/audit/audit.service.ts';
import { CheckpointSigner } from '../src/server/modules/audit/checkpoint-signer.ts';
import { contextFor } from '../src/server/modules/context.ts';
import { insertItem, listItems } from '../src/server/modules/inventory/inventory.repository.ts';
import { ItemsService } from '../src/server/modules/inventory/items.service.ts';
import { seeded, timeIt } from './support.ts';

const ITEMS = Number(process.env.ITEMS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 50);
const dir = mkdtempSync(path.join(tmpdir(), 'steward-inventory-bench-'));
const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'bench.sqlite') });
const db = database.db;

const { rand, pick } = seeded(0x17e5);
const WORDS = [
  'nitrile',
  'gloves',
  'pipette',
  'tips',
  'ethanol',
  'buffer',
  'tube',
  'falcon',
  'petri',
  'dish',
  'agar',
  'saline',
  'ink',
  'needle',
  'cartridge',
  'black',
  'red',
  'sterile',
  'swab',
  'mask',
  'filter',
  'beaker',
  'flask',
  'glass',
  'plastic',
];
const SIZES = ['S', 'M', 'L', 'XL', '10 ml', '50 ml', '1 L', '200 µl', '1000 µl'];

try {
  await migrateToLatest(db);
  const t0 = performance.now();
  const now = new Date().toISOString();
  for (let base = 0; base < ITEMS; base += 10_000) {
    await db.transaction().execute(async (trx) => {
      for (let i = base; i < Math.min(ITEMS, base + 10_000); i++) {
        const name = `${pick(WORDS)} ${pick(WORDS)} ${pick(SIZES)}`;
        await insertItem(
          trx,
          {
            id: `item-${i}`,
            sku: `SKU-${String(i).padStart(6, '0')}-${pick(['A', 'B', 'C'])}`,
            name: name[0]?.toUpperCase() + name.slice(1),
            location: `Aisle ${1 + Math.floor(rand() * 40)}`,
            price: Math.floor(rand() * 10_000),
            cost: Math.floor(rand() * 5_000),
          },
          now,
        );
      }
    });
  }
  await sql`analyze`.execute(db);
  console.log(`seeded ${ITEMS.toLocaleString()} items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // --- search ----------------------------------------------------------------------------------
  const queries = ['nitrile', 'glov', 'pipette tips', 'SKU-0421', 'aisle 17', 'red ink', 'ml', 'xyzzy'];
  const page = { sort: 'name' as const, order: 'asc' as const, offset: 0, limit: 50 };
  const rows: Record<string, unknown>[] = [];
  for (const q of queries) {
    const indexed = await timeIt(() => listItems(db, 'sqlite', { q, status: 'active' }, page), RUNS);
    const total = (await listItems(db, 'sqlite', { q, status: 'active' }, page)).total;
    // Baseline: the same answer from a scan (every word a LIKE over every row).
    const words = q.toLowerCase().split(/\s+/);
    const scan = await timeIt(async () => {
      let b = db.selectFrom('items').where('active', '=', 1);
      for (const w of words) b = b.where('search_text', 'like', `%${w}%`);
      return Promise.all([
        b.selectAll().orderBy('name').orderBy('id').limit(50).execute(),
        b.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
      ]);
    }, RUNS);
    rows.push({ q, matches: total, indexed, scan });
    console.log(
      `search ${JSON.stringify(q).padEnd(15)} ${String(total).padStart(6)} matches · p50 ${String(indexed.p50).padStart(6)} ms p95 ${String(indexed.p95).padStart(6)} ms · scan p95 ${String(scan.p95).padStart(7)} ms (${(scan.p95 / Math.max(indexed.p95, 0.01)).toFixed(1)}×)`,
    );
  }

  // --- export memory ------------------------------------------------------------------------------
  const audit = new AuditService({
    database,
    now: Date.now,
    signer: new CheckpointSigner(path.join(dir, 'k.pem'), path.join(dir, 'cp.jsonl')),
  });
  const items = new ItemsService({ engine: database.engine, audit, now: Date.now });
  const actor = { user: { id: null, email: 'bench@example.com' }, apiKey: null, elevated: false } as unknown as Actor;
  await db
    .insertInto('users')
    .values({
      id: 'bench',
      email: 'bench@example.com',
      name: 'Bench',
      password_hash: null,
      role_key: 'x',
      artist_id: null,
      active: 1,
      must_change_password: 0,
      failed_logins: 0,
      locked_until: null,
      last_login_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
    .catch(() => {});
  const ctx = { requestId: 'bench', ip: null, userAgent: null };
  const gc = (globalThis as { gc?: () => void }).gc;
  /** Streams one export to nowhere, sampling the process's resident memory as it goes. */
  async function peak(format: 'csv' | 'xlsx') {
    gc?.();
    const base = process.memoryUsage().heapUsed;
    let top = base;
    const sample = () => {
      top = Math.max(top, process.memoryUsage().heapUsed);
    };
    let collectedAt = 0;
    let bytes = 0;
    const source = await items.export(contextFor(db, actor, ctx), format, { status: 'active' });
    const t = performance.now();
    await pipeline(
      source instanceof Readable ? source : Readable.from(source),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          // Every 64 KB of output, a full collection and a sample: what is measured is memory the
          // export holds on to (live heap), not garbage V8 has not collected yet.
          if (bytes - collectedAt > 64 * 1024) {
            collectedAt = bytes;
            gc?.();
            sample();
          }
          cb();
        },
      }),
    );
    return {
      peakMB: +((top - base) / 1024 / 1024).toFixed(1),
      sizeMB: +(bytes / 1024 / 1024).toFixed(1),
      secs: +((performance.now() - t) / 1000).toFixed(1),
    };
  }
  // Smallest first, so that heap growth from loading code and warming up is not charged to the
  // large export: a warm-up of 1 % of the items, then a tenth, then all (each in the same run).
  const results: Record<string, unknown> = {};
  const keep = async (n: number) => {
    await db.updateTable('items').set({ active: 1 }).execute();
    await db
      .updateTable('items')
      .set({ active: 0 })
      .where('sku', '>=', `SKU-${String(n).padStart(6, '0')}`)
      .execute();
  };
  for (const [label, n] of [
    ['warmUp', Math.floor(ITEMS / 100)],
    ['tenth', Math.floor(ITEMS / 10)],
    ['all', ITEMS],
  ] as const) {
    await keep(n);
    for (const format of ['csv', 'xlsx'] as const) {
      const r = await peak(format);
      results[`${format}:${label}`] = { items: n, ...r };
      if (label !== 'warmUp') {
        console.log(
          `export ${format.padEnd(4)} ${n.toLocaleString().padStart(7)} items: ${r.sizeMB} MB in ${r.secs} s, peak live heap +${r.peakMB} MB`,
        );
      }
    }
  }
  for (const format of ['csv', 'xlsx'] as const) {
    const all = results[`${format}:all`] as { peakMB: number };
    const tenth = results[`${format}:tenth`] as { peakMB: number };
    console.log(
      `export ${format}: 10× the items took ${(all.peakMB / Math.max(tenth.peakMB, 0.1)).toFixed(1)}× the peak live heap`,
    );
  }
  const worstP95 = Math.max(...rows.map((r) => (r.indexed as { p95: number }).p95));
  console.log(
    JSON.stringify({
      items: ITEMS,
      searchWorstP95ms: worstP95,
      searchUnder50ms: worstP95 < 50,
      search: rows,
      export: results,
    }),
  );
} finally {
  await database.close();
  if (process.env.KEEP_DB) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
