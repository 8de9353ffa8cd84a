/**
 * The audit log at 1,000,000 events on the embedded SQLite database: how fast the Audit page's
 * queries answer with keyset pagination (what Steward does), against OFFSET pagination of the
 * same pages (the baseline, measured in the same run), and how fast the whole chain verifies.
 * Run: npm run bench:audit   (EVENTS=… to change the size)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import type { AuditEventsTable } from '../src/server/db/schema.ts';
import { systemScope } from '../src/server/http/scope.ts';
import {
  type AuditSearch,
  areaOf,
  filteredAudit,
  GENESIS_HASH,
  hashEvent,
  searchAudit,
} from '../src/server/modules/audit/audit.repository.ts';
import { AuditService } from '../src/server/modules/audit/audit.service.ts';
import { CheckpointSigner } from '../src/server/modules/audit/checkpoint-signer.ts';
import { contextFor } from '../src/server/modules/context.ts';
import { seeded, timeIt } from './support.ts';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 40);
const dir = mkdtempSync(path.join(tmpdir(), 'steward-audit-bench-'));
const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'bench.sqlite') });
const db = database.db;
/** The bench reads the whole log, as an auditor with `all` access does. */
const ALL_EVENTS = systemScope('audit_event');

const { rand, pick } = seeded(0xa0d17);

const ACTIONS = [
  'auth.login',
  'auth.login',
  'auth.login',
  'auth.logout',
  'auth.elevate',
  'users.update',
  'users.create',
  'permissions.change',
  'roles.update',
  'inventory.adjust',
  'inventory.receive',
  'sales.create',
  'sales.create',
  'sales.refund',
  'orders.receive',
  'audit.export',
];
const USERS = Array.from({ length: 200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

try {
  await migrateToLatest(db);
  // --- seed a real chain ------------------------------------------------------------------------
  const t0 = performance.now();
  let prev = GENESIS_HASH;
  const start = Date.parse('2025-01-01T00:00:00Z');
  const step = (Date.parse('2026-11-23T00:00:00Z') - start) / EVENTS;
  const BATCH = 500;
  for (let base = 0; base < EVENTS; base += 50_000) {
    await db.transaction().execute(async (trx) => {
      for (let b = base; b < Math.min(EVENTS, base + 50_000); b += BATCH) {
        const rows: AuditEventsTable[] = [];
        for (let i = b; i < Math.min(EVENTS, b + BATCH); i++) {
          const user = pick(USERS);
          const action = pick(ACTIONS);
          const row = {
            seq: i + 1,
            at: new Date(start + i * step).toISOString(),
            actor_user_id: user,
            actor_label: `${user.slice(-4)}@example.com`,
            elevated: (rand() < 0.05 ? 1 : 0) as 0 | 1,
            action,
            outcome: (rand() < 0.02 ? 'failure' : 'success') as 'success' | 'failure',
            target_type: 'user',
            target_id: pick(USERS),
            before: null,
            after: JSON.stringify({ n: i, note: 'bench' }),
            reason: rand() < 0.1 ? 'month end' : null,
            request_id: null,
            ip: '192.0.2.1',
            user_agent: 'bench',
            prev_hash: prev,
            area: areaOf(action),
          };
          const hash = hashEvent(row);
          rows.push({ ...row, hash });
          prev = hash;
        }
        await trx.insertInto('audit_events').values(rows).execute();
      }
    });
  }
  await sql`analyze`.execute(db);
  const seedSecs = (performance.now() - t0) / 1000;
  console.log(`seeded ${EVENTS.toLocaleString()} chained events in ${seedSecs.toFixed(1)} s`);

  // --- queries ---------------------------------------------------------------------------------
  const deep = Math.floor(EVENTS / 2);
  const scenarios: { name: string; filter: AuditSearch }[] = [
    { name: 'newest page, no filter', filter: {} },
    { name: 'one user', filter: { user: USERS[7] } },
    { name: 'area "sales"', filter: { area: 'sales' } },
    { name: 'area "roles" (rare)', filter: { area: 'roles' } },
    { name: 'failures only', filter: { failures: true } },
    { name: 'master code only', filter: { elevated: true } },
    { name: 'one target', filter: { targetType: 'user', targetId: USERS[42] } },
    { name: 'one week', filter: { from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' } },
  ];
  const results: Record<string, unknown>[] = [];
  for (const s of scenarios) {
    const first = await timeIt(() => searchAudit(db, ALL_EVENTS, s.filter, 51), RUNS);
    // A page deep in the filtered set: the cursor is where page N of 50 starts.
    const all = await db
      .selectFrom('audit_events')
      .select('seq')
      .where('seq', '<=', deep)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const cursor = all?.seq ?? deep;
    const keyset = await timeIt(() => searchAudit(db, ALL_EVENTS, { ...s.filter, before: cursor }, 51), RUNS);
    // OFFSET to the same place: count the filtered rows above the cursor, then skip them.
    const above = Number(
      (
        await filteredAudit(db, ALL_EVENTS, s.filter)
          .where('seq', '>=', cursor)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const offset = await timeIt(async () => {
      const compiled = searchAuditOffset(s.filter, above);
      return compiled.execute();
    }, RUNS);
    results.push({ scenario: s.name, firstPage: first, deepKeyset: keyset, deepOffset: offset, offsetRows: above });
    console.log(
      `${s.name.padEnd(24)} first page p50 ${String(first.p50).padStart(7)} ms p95 ${String(first.p95).padStart(7)} ms · page at event ${cursor.toLocaleString()}: keyset p95 ${String(keyset.p95).padStart(7)} ms, OFFSET ${above.toLocaleString()} p95 ${String(offset.p95).padStart(8)} ms (${(offset.p95 / Math.max(keyset.p95, 0.01)).toFixed(0)}× slower)`,
    );
  }

  // --- verification of the whole chain -----------------------------------------------------------
  const service = new AuditService({
    database,
    now: Date.now,
    signer: new CheckpointSigner(path.join(dir, 'key.pem'), path.join(dir, 'cp.jsonl')),
  });
  const v0 = performance.now();
  const verified = await service.verify(contextFor(database.db, null));
  const verifySecs = (performance.now() - v0) / 1000;
  console.log(
    `verify: ${verified.ok ? 'ok' : `BROKEN at ${verified.brokenAt}`} · ${verified.events.toLocaleString()} events in ${verifySecs.toFixed(1)} s (${Math.round(verified.events / verifySecs).toLocaleString()} events/s)`,
  );
  const worstFirst = Math.max(...results.map((r) => (r.firstPage as { p95: number }).p95));
  const worstDeep = Math.max(...results.map((r) => (r.deepKeyset as { p95: number }).p95));
  console.log(
    JSON.stringify({
      events: EVENTS,
      worstFirstPageP95ms: worstFirst,
      worstDeepKeysetP95ms: worstDeep,
      verify: { ok: verified.ok, seconds: +verifySecs.toFixed(1) },
      scenarios: results,
    }),
  );
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The baseline: the same page reached with OFFSET instead of a cursor. */
function searchAuditOffset(f: AuditSearch, offset: number) {
  return filteredAudit(db, ALL_EVENTS, f).selectAll().orderBy('seq', 'desc').limit(51).offset(offset);
}
