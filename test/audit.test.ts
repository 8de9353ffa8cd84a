/**
 * The audit trail (issue 5): complete, tamper-evident, verifiable, searchable, exportable,
 * append-only — on every engine.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../src/server/db/dialect.ts';
import type { DB } from '../src/server/db/schema.ts';
import { contextFor } from '../src/server/modules/context.ts';
import { createApiKey } from './factories.ts';
import { createBusinessApp, createStaff, createTestApp, ENGINES, type Session, type TestApp } from './harness.ts';

/** What an attacker with database access would do first: remove the append-only triggers. */
async function dropAppendOnly(db: Kysely<DB>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`drop trigger audit_events_append_only on audit_events`.execute(db);
  } else {
    await sql`drop trigger audit_events_no_update`.execute(db);
    await sql`drop trigger audit_events_no_delete`.execute(db);
  }
}

/** The system's own context on the test app's database (what the CLI and the timer use). */
const system = (t: TestApp) => contextFor(t.app.services.database.db, null);

async function writeEvents(t: TestApp, n: number, label = 'test'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await t.app.services.database.db.transaction().execute((trx) =>
      t.app.services.audit.record(trx, {
        action: 'test.event',
        actor: { userId: null, label },
        after: { i },
      }),
    );
  }
}

describe.each(ENGINES)('audit chain on %s', (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(engine);
  });
  afterEach(async () => t.close());

  it('verifies an untouched chain and refuses UPDATE and DELETE in the database itself', async () => {
    await writeEvents(t, 5);
    expect(await t.app.services.audit.verify(system(t))).toMatchObject({
      ok: true,
      events: 5,
      lastSeq: 5,
      brokenAt: null,
    });
    const db = t.app.services.database.db;
    await expect(sql`update audit_events set action = 'x' where seq = 2`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where seq = 5`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('names the first broken event when a row is edited', async () => {
    await writeEvents(t, 6);
    const db = t.app.services.database.db;
    await dropAppendOnly(db, engine);
    await sql`update audit_events set after = '{"i":99}' where seq = 4`.execute(db);
    const r = await t.app.services.audit.verify(system(t));
    expect(r).toMatchObject({ ok: false, brokenAt: 4 });
    expect(r.problem).toMatch(/changed after it was written/);
  });

  it('names the gap when a row is deleted', async () => {
    await writeEvents(t, 6);
    const db = t.app.services.database.db;
    await dropAppendOnly(db, engine);
    await sql`delete from audit_events where seq = 3`.execute(db);
    expect(await t.app.services.audit.verify(system(t))).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('catches two rows swapped', async () => {
    await writeEvents(t, 6);
    const db = t.app.services.database.db;
    await dropAppendOnly(db, engine);
    // Swap the contents of events 2 and 3 (sequence numbers stay in place).
    const rows = await db.selectFrom('audit_events').selectAll().where('seq', 'in', [2, 3]).orderBy('seq').execute();
    const [two, three] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const { seq: _a, ...restTwo } = two;
    const { seq: _b, ...restThree } = three;
    await db.updateTable('audit_events').set(restThree).where('seq', '=', 2).execute();
    await db.updateTable('audit_events').set(restTwo).where('seq', '=', 3).execute();
    expect(await t.app.services.audit.verify(system(t))).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('catches a cut tail against the latest signed checkpoint, from the database or the file outside it', async () => {
    await writeEvents(t, 8);
    const cp = await t.app.services.audit.checkpoint(system(t));
    expect(cp?.seq).toBe(8);
    const db = t.app.services.database.db;
    await dropAppendOnly(db, engine);
    await sql`delete from audit_events where seq > 6`.execute(db);
    const r = await t.app.services.audit.verify(system(t));
    expect(r).toMatchObject({ ok: false, brokenAt: 7, checkpoint: { seq: 8 } });
    expect(r.problem).toMatch(/cut off/);
    // Deleting the checkpoint rows too does not help: the signed copy outside the database remains.
    await sql`delete from audit_checkpoints`.execute(db);
    expect(await t.app.services.audit.verify(system(t))).toMatchObject({ ok: false, brokenAt: 7 });
    // A forged checkpoint (wrong key) is ignored.
    await db
      .insertInto('audit_checkpoints')
      .values({ seq: 6, hash: 'f'.repeat(64), at: new Date().toISOString(), key_id: 'x', signature: 'AAAA' })
      .execute();
    expect(await t.app.services.audit.verify(system(t))).toMatchObject({
      ok: false,
      brokenAt: 7,
      checkpoint: { seq: 8 },
    });
  });

  if (engine === 'postgres') {
    it('keeps a gapless chain with 8 concurrent writers × 1000 events', { timeout: 120_000 }, async () => {
      const start = Date.now();
      await Promise.all(Array.from({ length: 8 }, (_, w) => writeEvents(t, 1000, `writer-${w}`)));
      const r = await t.app.services.audit.verify(system(t));
      expect(r).toMatchObject({ ok: true, events: 8000, lastSeq: 8000 });
      const perWriter = await t.app.services.database.db
        .selectFrom('audit_events')
        .select(['actor_label', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('actor_label')
        .execute();
      expect(perWriter.map((p) => Number(p.n))).toEqual(Array(8).fill(1000));
      console.log(`8 × 1000 audit appends on PostgreSQL: ${Date.now() - start} ms`);
    });
  }
});

describe.each(ENGINES)('audit API on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminId: string;
  beforeAll(async () => {
    ({ t, admin, adminId } = await createBusinessApp(engine, 'studio'));
  });
  afterAll(async () => t.close());

  it('records who, what, elevation, request and address, with secrets redacted', async () => {
    const code = (await admin.inject({ method: 'POST', url: '/api/v1/security/master-code/rotate' })).json().code;
    const assistant = await createStaff(t.app, admin, 'assistant');
    const elevate = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/elevate',
      headers: {
        cookie: assistant.session.cookie,
        'x-csrf-token': assistant.session.csrfToken,
        'user-agent': 'Till/1.0',
      },
      remoteAddress: '192.0.2.7',
      payload: { code },
    });
    expect(elevate.statusCode).toBe(200);
    const res = await admin.inject({ method: 'GET', url: `/api/v1/audit?action=auth.elevate&user=${assistant.id}` });
    const [event] = res.json().items;
    expect(event).toMatchObject({
      action: 'auth.elevate',
      outcome: 'success',
      elevated: true,
      actor: { userId: assistant.id, label: assistant.email },
      ip: '192.0.2.7',
      userAgent: 'Till/1.0',
    });
    expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.at).toMatch(/Z$/);
    // No secret reaches the log: the temporary password of a reset, the API key.
    await admin.inject({
      method: 'POST',
      url: `/api/v1/users/${assistant.id}/reset-password`,
      payload: { temporaryPassword: 'Temp-Secret-99' },
    });
    const { key } = await createApiKey(admin, ['users.view']);
    const dump = JSON.stringify(await t.app.services.database.db.selectFrom('audit_events').selectAll().execute());
    expect(dump).not.toContain('Temp-Secret-99');
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(code);
  });

  it('filters by user, action, area, target, dates, elevation and failures, and pages by keyset', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.com', password: 'Wrong-Pass-1' },
    });
    const failures = (await admin.inject({ method: 'GET', url: '/api/v1/audit?failures=true' })).json().items;
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((e: { outcome: string }) => e.outcome === 'failure')).toBe(true);
    const elevated = (await admin.inject({ method: 'GET', url: '/api/v1/audit?elevated=true' })).json().items;
    expect(elevated.every((e: { elevated: boolean }) => e.elevated)).toBe(true);
    const area = (await admin.inject({ method: 'GET', url: '/api/v1/audit?area=users' })).json().items;
    expect(area.length).toBeGreaterThan(0);
    expect(area.every((e: { action: string }) => e.action.startsWith('users.'))).toBe(true);
    const mine = (await admin.inject({ method: 'GET', url: `/api/v1/audit?user=${adminId}` })).json().items;
    expect(mine.every((e: { actor: { userId: string } }) => e.actor.userId === adminId)).toBe(true);
    const target = (
      await admin.inject({ method: 'GET', url: `/api/v1/audit?targetType=user&targetId=${adminId}` })
    ).json().items;
    expect(target.every((e: { target: { id: string } }) => e.target.id === adminId)).toBe(true);
    const future = (await admin.inject({ method: 'GET', url: '/api/v1/audit?from=2030-01-01T00:00:00Z' })).json().items;
    expect(future).toEqual([]);

    // Pages of 3, newest first, without overlap or gaps, end with a null cursor.
    const all = (await admin.inject({ method: 'GET', url: '/api/v1/audit?limit=200' }))
      .json()
      .items.map((e: { seq: number }) => e.seq);
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page: { items: { seq: number }[]; nextCursor: number | null } = (
        await admin.inject({ method: 'GET', url: `/api/v1/audit?limit=3${cursor ? `&before=${cursor}` : ''}` })
      ).json();
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('exports the filtered view as CSV and JSON, and audits the export', async () => {
    const csv = await admin.inject({ method: 'GET', url: '/api/v1/audit/export?format=csv&area=auth' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="steward-audit-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'seq,at_utc,actor,actor_user_id,elevated,action,outcome,target_type,target_id,reason,before,after,ip,user_agent,request_id,hash',
    );
    expect(lines.slice(1).every((l) => /,auth\./.test(l))).toBe(true);
    const json = await admin.inject({ method: 'GET', url: '/api/v1/audit/export?format=json&area=auth' });
    const parsed = JSON.parse(json.body) as { action: string }[];
    expect(parsed.length).toBe(lines.length - 1);
    const exports = (await admin.inject({ method: 'GET', url: '/api/v1/audit?action=audit.export' })).json().items;
    expect(exports[0]).toMatchObject({
      actor: { userId: adminId },
      after: { format: 'json', filter: { area: 'auth' } },
    });
  });

  it('verifies through the API, and has no route that edits or deletes events', async () => {
    const cp = await admin.inject({ method: 'POST', url: '/api/v1/audit/checkpoints' });
    expect(cp.statusCode).toBe(200);
    const v = await admin.inject({ method: 'GET', url: '/api/v1/audit/verify' });
    expect(v.json()).toMatchObject({ ok: true, brokenAt: null, checkpoint: { seq: cp.json().seq } });
    const auditRoutes = t.app.routeGuards().filter((r) => r.url.startsWith('/api/v1/audit'));
    expect(auditRoutes.filter((r) => ['PUT', 'PATCH', 'DELETE'].includes(r.method))).toEqual([]);
    expect(auditRoutes.filter((r) => r.method === 'POST').map((r) => r.url)).toEqual(['/api/v1/audit/checkpoints']);
  });
});

describe('periodic checkpoints', () => {
  it('signs the head of the chain every few minutes when events were added, and not otherwise', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-cp-'));
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const t = await createTestApp('sqlite', {
      config: {
        audit: {
          keyFile: path.join(dir, 'key.pem'),
          checkpointFile: path.join(dir, 'checkpoints.jsonl'),
          checkpointMinutes: 10,
        },
      },
    });
    try {
      const checkpoints = () =>
        t.app.services.database.db.selectFrom('audit_checkpoints').select('seq').orderBy('seq').execute();
      await writeEvents(t, 3);
      await vi.advanceTimersByTimeAsync(9 * 60_000);
      expect(await checkpoints()).toEqual([]);
      await vi.advanceTimersByTimeAsync(60_000);
      await vi.waitFor(async () => expect(await checkpoints()).toEqual([{ seq: 3 }]));
      // Nothing new: no new checkpoint. New events: the next one covers them.
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      await writeEvents(t, 2);
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      await vi.waitFor(async () => expect(await checkpoints()).toEqual([{ seq: 3 }, { seq: 5 }]));
      expect(readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
