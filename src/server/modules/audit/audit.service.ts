import type { AuditRecord as AuditEventView, AuditFilter, VerifyResult } from '../../../shared/contracts/audit.ts';
import type { Database } from '../../db/database.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import type { Scope } from '../../http/scope.ts';
import { csvLines, jsonArrayLines } from '../../lib/spreadsheet.ts';
import { type AnyContext, type Context, inTransaction, type Trx, type TxContext } from '../context.ts';
import {
  type AuditRowFull,
  type AuditSearch,
  appendAuditRow,
  auditBatch,
  auditHead,
  GENESIS_HASH,
  hashEvent,
  insertCheckpoint,
  latestCheckpoint,
  searchAudit,
} from './audit.repository.ts';
import { withNames } from './audit-names.ts';
import type { CheckpointSigner, SignedCheckpoint } from './checkpoint-signer.ts';

export type AuditEvent = {
  action: string;
  outcome?: 'success' | 'failure';
  /** The acting user; null for anonymous events such as a failed login of an unknown email. */
  actor: Actor | { userId: string | null; label: string | null; elevated?: boolean } | null;
  target?: { type: string; id: string | null } | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  context?: RequestContext | null;
};

/** An event recorded in a `TxContext`: who acted and the request facts come from the context unless named. */
export type ContextAuditEvent = Omit<AuditEvent, 'actor'> & { actor?: AuditEvent['actor'] };

const SECRET_KEY = /pass(word)?|hash|token|secret|code|key/i;

/** Copies a value with every secret-looking field replaced by "[redacted]". */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null ? '[redacted]' : redact(v)]),
    );
  }
  return value;
}

const parse = (v: string | null): unknown => (v === null ? null : (JSON.parse(v) as unknown));

/** The API's view of one stored event. */
export function toAuditEvent(r: AuditRowFull): AuditEventView {
  return {
    seq: r.seq,
    at: r.at,
    actor: { userId: r.actor_user_id, label: r.actor_label },
    elevated: r.elevated === 1,
    action: r.action,
    outcome: r.outcome,
    target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
    before: parse(r.before),
    after: parse(r.after),
    reason: r.reason,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    hash: r.hash,
  };
}

const VERIFY_BATCH = 2000;

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'at_utc',
  'actor',
  'actor_user_id',
  'elevated',
  'action',
  'outcome',
  'target_type',
  'target_id',
  'reason',
  'before',
  'after',
  'ip',
  'user_agent',
  'request_id',
  'hash',
] as const;

async function* csvRows(events: AsyncIterable<AuditEventView>): AsyncGenerator<unknown[]> {
  for await (const e of events) {
    yield [
      e.seq,
      e.at,
      e.actor.label,
      e.actor.userId,
      e.elevated ? 'yes' : 'no',
      e.action,
      e.outcome,
      e.target?.type,
      e.target?.id,
      e.reason,
      e.before,
      e.after,
      e.ip,
      e.userAgent,
      e.requestId,
      e.hash,
    ];
  }
}

/**
 * The audit log: writes events inside the caller's transaction, verifies the hash chain against
 * signed checkpoints, searches and exports. Nothing here edits or deletes an event.
 */
export class AuditService {
  private readonly database: Database;
  private readonly now: () => number;
  private readonly signer: CheckpointSigner;
  constructor(deps: { database: Database; now: () => number; signer: CheckpointSigner }) {
    this.database = deps.database;
    this.now = deps.now;
    this.signer = deps.signer;
  }

  /** Signs the current head of the chain and stores it in the database and in the file outside it. */
  async checkpoint(ctx: AnyContext): Promise<SignedCheckpoint | null> {
    const head = await auditHead(ctx.db);
    if (!head) return null;
    const signed = this.signer.sign({ seq: head.seq, hash: head.hash, at: new Date(this.now()).toISOString() });
    await insertCheckpoint(ctx.db, signed);
    this.signer.record(signed);
    return signed;
  }

  /** Writes a checkpoint when events were added since `lastSeq`; returns the head's sequence number. */
  async checkpointIfChanged(ctx: AnyContext, lastSeq: number): Promise<number> {
    const head = await auditHead(ctx.db);
    if (!head || head.seq === lastSeq) return lastSeq;
    return (await this.checkpoint(ctx))?.seq ?? lastSeq;
  }

  /** The newest checkpoint this server's key really signed, from the database or the file. */
  private async trustedCheckpoint(ctx: AnyContext): Promise<SignedCheckpoint | null> {
    const stored = (await latestCheckpoint(ctx.db)).map((r) => ({
      seq: r.seq,
      hash: r.hash,
      at: r.at,
      keyId: r.key_id,
      signature: r.signature,
    }));
    const all = [...stored, ...this.signer.recorded()].filter((c) => this.signer.verify(c));
    return all.sort((a, b) => b.seq - a.seq)[0] ?? null;
  }

  /**
   * Recomputes the chain from the first event: contiguous sequence numbers, each event's link to
   * the previous hash and its own hash. Then checks the newest signed checkpoint, which catches
   * a cut tail. Names the first sequence number that fails.
   */
  async verify(ctx: AnyContext): Promise<VerifyResult> {
    const { db } = ctx;
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let events = 0;
    const hashes = new Map<number, string>();
    const checkpoint = await this.trustedCheckpoint(ctx);
    const done = (brokenAt: number | null, problem: string | null): VerifyResult => ({
      ok: problem === null,
      events,
      lastSeq: expectedSeq - 1,
      headHash: events > 0 ? prevHash : null,
      checkpoint: checkpoint ? { seq: checkpoint.seq, at: checkpoint.at } : null,
      brokenAt,
      problem,
      checkedAt: new Date(this.now()).toISOString(),
    });
    for (;;) {
      const batch = await auditBatch(db, expectedSeq - 1, VERIFY_BATCH);
      for (const row of batch) {
        if (row.seq !== expectedSeq) {
          return done(expectedSeq, `Event ${expectedSeq} is missing: the next stored event is ${row.seq}.`);
        }
        if (row.prev_hash !== prevHash) {
          return done(
            row.seq,
            `Event ${row.seq} does not link to event ${row.seq - 1}: events were removed or reordered.`,
          );
        }
        const { hash, ...rest } = row;
        if (hashEvent(rest) !== hash) {
          return done(
            row.seq,
            `Event ${row.seq} was changed after it was written: its content no longer matches its hash.`,
          );
        }
        if (checkpoint && row.seq === checkpoint.seq) hashes.set(row.seq, hash);
        prevHash = hash;
        expectedSeq++;
        events++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    if (checkpoint) {
      const last = expectedSeq - 1;
      if (checkpoint.seq > last) {
        return done(
          last + 1,
          `The log ends at event ${last}, but a signed checkpoint of ${checkpoint.at} vouches for ${checkpoint.seq} events: the newest events were cut off.`,
        );
      }
      if (hashes.get(checkpoint.seq) !== checkpoint.hash) {
        return done(checkpoint.seq, `Event ${checkpoint.seq} differs from the signed checkpoint of ${checkpoint.at}.`);
      }
    }
    return done(null, null);
  }

  async search(ctx: AnyContext, scope: Scope<'audit_event'>, filter: AuditSearch, limit: number) {
    const rows = await searchAudit(ctx.db, scope, filter, limit + 1);
    const items = await withNames(ctx.db, rows.slice(0, limit).map(toAuditEvent));
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.seq ?? null) : null };
  }

  /** An admin asks for a checkpoint: the request is an event, then the head (including it) is signed. */
  async checkpointBy(ctx: Context): Promise<SignedCheckpoint | null> {
    await inTransaction(ctx, (tx) =>
      this.record(tx, { action: 'audit.checkpoint', target: { type: 'audit', id: null } }),
    );
    return this.checkpoint(ctx);
  }

  /** The filtered log as CSV or JSON text, streamed; the export is itself an event. */
  async export(ctx: Context, scope: Scope<'audit_event'>, format: 'csv' | 'json', filter: AuditFilter) {
    await inTransaction(ctx, (tx) =>
      this.record(tx, {
        action: 'audit.export',
        target: { type: 'audit', id: null },
        after: { format, filter, ...(scope.kind === 'own' ? { scope: 'own' } : {}) },
      }),
    );
    const events = this.stream(ctx, scope, filter);
    return format === 'json' ? jsonArrayLines(events) : csvLines(AUDIT_CSV_COLUMNS, csvRows(events));
  }

  /** Every event matching the filter, newest first, a page at a time (for streamed exports). */
  async *stream(ctx: AnyContext, scope: Scope<'audit_event'>, filter: AuditFilter): AsyncGenerator<AuditEventView> {
    let before: number | undefined;
    for (;;) {
      const page = await searchAudit(ctx.db, scope, { ...filter, before }, 1000);
      for (const r of page) yield toAuditEvent(r);
      if (page.length < 1000) return;
      before = page.at(-1)?.seq;
    }
  }

  /**
   * Appends one event inside the transaction of the change it describes. Given a `TxContext`, the
   * actor and the request facts default to the context's; given a bare transaction, they are named.
   */
  async record(tx: TxContext<Actor | null>, event: ContextAuditEvent): Promise<number>;
  async record(trx: Trx, event: AuditEvent): Promise<number>;
  async record(at: Trx | TxContext<Actor | null>, event: ContextAuditEvent): Promise<number> {
    const inContext = !('isTransaction' in at);
    const trx = inContext ? at.db : at;
    const a = event.actor !== undefined ? event.actor : inContext ? at.actor : null;
    const context = event.context !== undefined ? event.context : inContext ? at.request : null;
    const actor =
      a === null
        ? { userId: null, label: null, elevated: false }
        : 'subject' in a
          ? {
              userId: a.user.id,
              label: a.apiKey ? `${a.user.email} (API key “${a.apiKey.name}”)` : a.user.email,
              elevated: a.elevated,
            }
          : { userId: a.userId, label: a.label, elevated: a.elevated ?? false };
    const json = (v: unknown) => (v === undefined ? null : JSON.stringify(redact(v)));
    return appendAuditRow(trx, this.database.engine, {
      at: new Date(this.now()).toISOString(),
      actor_user_id: actor.userId,
      actor_label: actor.label,
      elevated: actor.elevated ? 1 : 0,
      action: event.action,
      outcome: event.outcome ?? 'success',
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      before: json(event.before),
      after: json(event.after),
      reason: event.reason ?? null,
      request_id: context?.requestId ?? null,
      ip: context?.ip ?? null,
      user_agent: context?.userAgent ?? null,
    });
  }
}
