import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Engine, lockChain } from '../../db/dialect.ts';
import type { AuditEventsTable, DB } from '../../db/schema.ts';

const AUDIT_CHAIN_LOCK = 0x5354_4157; // "STAW"
export const GENESIS_HASH = '0'.repeat(64);

/** Fields in the order they are hashed; `hash` itself is excluded. */
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
] as const satisfies readonly (keyof AuditEventsTable)[];

export type AuditRow = Omit<AuditEventsTable, 'hash'>;

/** sha256 over the previous hash and the canonical event: changing, removing or reordering a row breaks the chain. */
export function hashEvent(row: AuditRow): string {
  const canonical = JSON.stringify(HASHED_FIELDS.map((f) => row[f] ?? null));
  return createHash('sha256').update(row.prev_hash).update('\n').update(canonical).digest('hex');
}

/** Appends one event at the head of the chain. Call inside the transaction of the change it records. */
export async function appendAuditRow(
  trx: Kysely<DB>,
  engine: Engine,
  row: Omit<AuditRow, 'seq' | 'prev_hash'>,
): Promise<number> {
  await lockChain(trx, engine, AUDIT_CHAIN_LOCK);
  const head = await trx
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const full: AuditRow = { ...row, seq: (head?.seq ?? 0) + 1, prev_hash: head?.hash ?? GENESIS_HASH };
  await trx
    .insertInto('audit_events')
    .values({ ...full, hash: hashEvent(full) })
    .execute();
  return full.seq;
}

export async function countAuditEvents(db: Kysely<DB>, action?: string): Promise<number> {
  let q = db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (action) q = q.where('action', '=', action);
  return Number((await q.executeTakeFirstOrThrow()).n);
}
