import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { purchaseOrderReference } from '../../../shared/contracts/inventory.ts';
import { type Engine, lockChain } from '../../db/dialect.ts';
import { prepared } from '../../db/prepared.ts';
import type { AuditEventsTable } from '../../db/schema.ts';
import { whereInScope } from '../../db/scoped.ts';
import type { Scope } from '../../http/scope.ts';
import type { Db, Trx } from '../context.ts';

const AUDIT_CHAIN_LOCK = 0x5354_4157; // "STAW"
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Fields in the order they are hashed; `hash` itself is excluded. `area` (the search column) is
 * covered too, so re-filing an event under another area breaks the chain. Chains written before
 * `area` was hashed (development databases before issue 10) no longer verify: start them afresh.
 */
const HASHED_FIELDS = [
  'seq',
  'at',
  'actor_user_id',
  'actor_label',
  'elevated',
  'action',
  'outcome',
  'target_type',
  'target_id',
  'before',
  'after',
  'reason',
  'request_id',
  'ip',
  'user_agent',
  'prev_hash',
  'area',
] as const satisfies readonly (keyof AuditEventsTable)[];

export type AuditRow = Omit<AuditEventsTable, 'hash'>;

/** The area of an action: its first part ("users.create" → "users"). */
export function areaOf(action: string): string {
  const dot = action.indexOf('.');
  return dot === -1 ? action : action.slice(0, dot);
}

/** sha256 over the previous hash and the canonical event: changing, removing or reordering a row breaks the chain. */
export function hashEvent(row: AuditRow): string {
  const canonical = JSON.stringify(HASHED_FIELDS.map((f) => row[f] ?? null));
  return createHash('sha256').update(row.prev_hash).update('\n').update(canonical).digest('hex');
}

/** Appends one event at the head of the chain. Call inside the transaction of the change it records. */
export async function appendAuditRow(
  trx: Trx,
  engine: Engine,
  row: Omit<AuditRow, 'seq' | 'prev_hash' | 'area'>,
): Promise<number> {
  await lockChain(trx, engine, AUDIT_CHAIN_LOCK);
  const head = await trx
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    // A literal: on SQLite, `limit ?` here cost 31 µs per write under load against 4 µs for
    // `limit 1` (bench/http.bench.ts, stock movement POST); every write of the app reads it.
    .limit(sql.lit(1))
    .executeTakeFirst();
  const full: AuditRow = {
    ...row,
    seq: (head?.seq ?? 0) + 1,
    prev_hash: head?.hash ?? GENESIS_HASH,
    area: areaOf(row.action),
  };
  const event: AuditEventsTable = { ...full, hash: hashEvent(full) };
  await insertAuditRow(trx, ...AUDIT_COLUMNS.map((c) => event[c] ?? null));
  return full.seq;
}

/** Every column of an event, in one order: the insert below takes its values in it. */
const AUDIT_COLUMNS = [...HASHED_FIELDS, 'hash'] as const;
// Built once: every audited write appends a row.
const insertAuditRow = prepared((db, ...values: (string | number | null)[]) =>
  db.insertInto('audit_events').values(Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, values[i]])) as never),
);

export async function countAuditEvents(db: Db, action?: string): Promise<number> {
  let q = db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (action) q = q.where('action', '=', action);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export type AuditRowFull = AuditEventsTable;

/** Events in sequence order from `afterSeq` on, a batch at a time (for verification). */
export async function auditBatch(db: Db, afterSeq: number, limit: number): Promise<AuditRowFull[]> {
  return db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}

export type AuditSearch = {
  user?: string | undefined;
  action?: string | undefined;
  area?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  elevated?: boolean | undefined;
  failures?: boolean | undefined;
  before?: number | undefined;
};

/**
 * The events within the scope matching a filter (no order, no cursor): shared by search, export
 * and the bench. An `own` scope sees only the events its holder did.
 */
export function filteredAudit(db: Db, scope: Scope<'audit_event'>, f: Omit<AuditSearch, 'before'>) {
  let q = whereInScope(db.selectFrom('audit_events'), scope);
  if (f.user) q = q.where('actor_user_id', '=', f.user);
  if (f.action) {
    const prefix = f.action.endsWith('.') ? f.action.slice(0, -1) : null;
    if (prefix === null) q = q.where('action', '=', f.action);
    // "auth." is the area "auth" (its own index); a deeper prefix is a range on (action, seq).
    else if (!prefix.includes('.')) q = q.where('area', '=', prefix);
    else q = q.where('action', '>=', f.action).where('action', '<', `${prefix}/`);
  }
  if (f.area) q = q.where('area', '=', f.area);
  if (f.targetType) q = q.where('target_type', '=', f.targetType);
  if (f.targetId) q = q.where('target_id', '=', f.targetId);
  if (f.from) q = q.where('at', '>=', new Date(f.from).toISOString());
  if (f.to) q = q.where('at', '<', new Date(f.to).toISOString());
  if (f.elevated) q = q.where('elevated', '=', 1);
  if (f.failures) q = q.where('outcome', '=', 'failure');
  return q;
}

// The log as most open it: everything, newest first (built once; the filtered forms vary).
const newestEvents = prepared((db, limit: number) =>
  db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(limit),
);
const newestEventsBefore = prepared((db, before: number, limit: number) =>
  db.selectFrom('audit_events').selectAll().where('seq', '<', before).orderBy('seq', 'desc').limit(limit),
);

/** Newest first, keyset-paginated on the sequence number. */
export async function searchAudit(
  db: Db,
  scope: Scope<'audit_event'>,
  f: AuditSearch,
  limit: number,
): Promise<AuditRowFull[]> {
  const { before, ...filter } = f;
  if (scope.kind === 'all' && Object.values(filter).every((v) => v === undefined || v === false || v === '')) {
    return before === undefined ? newestEvents(db, limit) : newestEventsBefore(db, before, limit);
  }
  let q = filteredAudit(db, scope, f).selectAll();
  if (f.before !== undefined) q = q.where('seq', '<', f.before);
  return q.orderBy('seq', 'desc').limit(limit).execute();
}

export async function latestCheckpoint(db: Db) {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(20).execute();
}

export async function auditHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  return db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

export async function insertCheckpoint(
  db: Db,
  c: { seq: number; hash: string; at: string; keyId: string; signature: string },
): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({ seq: c.seq, hash: c.hash, at: c.at, key_id: c.keyId, signature: c.signature })
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
}

// --- Names of what events point at (read at display time, never stored in the chain) ---------

const LOOKUPS: Record<string, (db: Db, ids: string[]) => Promise<{ id: string; name: string }[]>> = {
  user: (db, ids) => db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute(),
  item: (db, ids) =>
    db
      .selectFrom('items')
      .select(['id', 'name', 'sku'])
      .where('id', 'in', ids)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, name: `${r.name} (${r.sku})` }))),
  category: (db, ids) => db.selectFrom('categories').select(['id', 'name']).where('id', 'in', ids).execute(),
  supplier: (db, ids) => db.selectFrom('suppliers').select(['id', 'name']).where('id', 'in', ids).execute(),
  role: (db, ids) => db.selectFrom('roles').select(['key as id', 'name']).where('key', 'in', ids).execute(),
  api_key: (db, ids) => db.selectFrom('api_keys').select(['id', 'name']).where('id', 'in', ids).execute(),
  purchase_order: (db, ids) =>
    db
      .selectFrom('purchase_orders')
      .select(['id', 'number'])
      .where('id', 'in', ids)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, name: purchaseOrderReference(Number(r.number)) }))),
};

/** Whether events' targets of this type have a name to look up. */
export function isNamedType(type: string): boolean {
  return Object.hasOwn(LOOKUPS, type);
}

/** The current names of the things of one type with these ids (a deleted one is simply missing). */
export async function namesOf(db: Db, type: string, ids: string[]): Promise<{ id: string; name: string }[]> {
  const lookup = LOOKUPS[type];
  return lookup ? lookup(db, ids) : [];
}
