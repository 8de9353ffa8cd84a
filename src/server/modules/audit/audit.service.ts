import type { Tx } from '../../db/database.ts';
import type { Engine } from '../../db/dialect.ts';
import type { Actor, RequestContext } from '../../http/actor.ts';
import { appendAuditRow } from './audit.repository.ts';

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

/** Writes audit events; always inside the caller's transaction. */
export class AuditService {
  private readonly engine: Engine;
  private readonly now: () => number;
  constructor(engine: Engine, now: () => number) {
    this.engine = engine;
    this.now = now;
  }

  async record(trx: Tx, event: AuditEvent): Promise<number> {
    const a = event.actor;
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
    return appendAuditRow(trx, this.engine, {
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
      request_id: event.context?.requestId ?? null,
      ip: event.context?.ip ?? null,
      user_agent: event.context?.userAgent ?? null,
    });
  }
}
