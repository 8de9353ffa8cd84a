/**
 * One readable sentence per audit event ("Ana Ruiz created user Bo Li", "Ana Ruiz received
 * 5 × GLV-M on PO-000042"). The one place that maps action codes to words: the audit page
 * uses it, and so can exports and reports. The raw code and ids stay on the event.
 */
import { moduleLabels } from './business-modules.ts';

export type SentenceEvent = {
  action: string;
  outcome: 'success' | 'failure';
  actor: { userId: string | null; label: string | null; name?: string | null };
  target: { type: string; id: string | null; name?: string | null } | null;
  before?: unknown;
  after?: unknown;
};

type Parts = {
  /** Who acted: their name, else the recorded label (an email, an API key), else "Someone". */
  who: string;
  /** The target by name, else by kind and short id. */
  what: string;
  /** "<kind> <name>", or "<kind> <short id>" when the name is unknown (never "user user 5b2f…"). */
  the: (kind: string) => string;
  /** The target by name, or null when the event has none. */
  target: string | null;
  failed: boolean;
  /** The label recorded with the event (an email, an API key), whoever it names. */
  label: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
};

const KIND: Record<string, string> = {
  user: 'user',
  item: 'item',
  category: 'category',
  supplier: 'supplier',
  role: 'role',
  purchase_order: 'purchase order',
  stock_count: 'stocktake',
  api_key: 'API key',
  session: 'session',
  master_code: 'master code',
};

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function plural(n: unknown, one: string, many = `${one}s`): string {
  const count = typeof n === 'number' ? n : Number(n);
  return Number.isFinite(count) ? `${count} ${count === 1 ? one : many}` : many;
}

/** "5 × GLV-M, 2 × ETH-1L" from [{ sku, quantity }]. */
function quantities(lines: unknown): string {
  if (!Array.isArray(lines) || lines.length === 0) return 'items';
  return lines
    .map((l) => record(l))
    .map((l) => `${l.quantity ?? '?'} × ${l.sku ?? l.itemId ?? 'item'}`)
    .join(', ');
}

/** Action code → sentence. `what` already names the target (a user's name, an item…). */
const SENTENCES: Record<string, (p: Parts) => string> = {
  'setup.completed': (p) => `${p.who} set up Steward`,
  // A failed sign-in is not the account holder acting: name the account tried.
  'auth.login': (p) => (p.failed ? `Someone failed to sign in as ${p.target ?? p.label}` : `${p.who} signed in`),
  'auth.logout': (p) => `${p.who} signed out`,
  'auth.lockout': (p) => `${p.what} was locked out after ${plural(p.after.failures, 'wrong password')}`,
  'auth.elevate': (p) =>
    p.failed ? `${p.who} entered a wrong master code` : `${p.who} unlocked admin actions with the master code`,
  'auth.elevate_end': (p) => `${p.who} left master-code mode`,
  'auth.two_factor.enable': (p) => `${p.who} turned on two-step sign-in`,
  'auth.two_factor.disable': (p) => `${p.who} turned off two-step sign-in`,
  'auth.two_factor.recovery_codes': (p) => `${p.who} made new two-step recovery codes`,
  'auth.password_change': (p) =>
    p.failed ? `${p.who} failed to change their password` : `${p.who} changed their password`,
  'auth.session_end': (p) => `${p.who} ended a session of ${p.what}`,
  'users.create': (p) => `${p.who} created ${p.the('user')}`,
  'users.update': (p) => `${p.who} edited ${p.the('user')}`,
  'users.role_change': (p) =>
    `${p.who} changed the role of ${p.what}${p.after.role ? ` from ${p.before.role ?? '—'} to ${p.after.role}` : ''}`,
  'users.deactivate': (p) => `${p.who} deactivated ${p.what}`,
  'users.reactivate': (p) => `${p.who} reactivated ${p.what}`,
  'users.reset_password': (p) => `${p.who} reset the password of ${p.what}`,
  'users.recovered': (p) => `${p.who} recovered the account of ${p.what} from the server's shell`,
  'users.two_factor_reset': (p) => `${p.who} reset the two-step sign-in of ${p.what}`,
  'users.sessions_end': (p) => `${p.who} signed ${p.what} out everywhere`,
  'permissions.change': (p) =>
    `${p.who} changed ${typeof p.before.permission === 'string' ? p.before.permission : 'permissions'} for ${p.what}`,
  'permissions.grant_requested': (p) => `${p.who} asked a second admin to approve a grant to ${p.what}`,
  'permissions.grant_approved': (p) => `${p.who} approved a grant to ${p.what}`,
  'permissions.grant_rejected': (p) => `${p.who} rejected a grant to ${p.what}`,
  'roles.create': (p) => `${p.who} created ${p.the('role')}`,
  'roles.update': (p) => `${p.who} edited ${p.the('role')}`,
  'roles.delete': (p) => `${p.who} deleted ${p.the('role')}`,
  'roles.change_requested': (p) =>
    p.after.kind === 'assign'
      ? `${p.who} asked a second admin to approve giving ${p.what} the role ${String(p.after.role)}`
      : `${p.who} asked a second admin to approve ${p.after.kind === 'create' ? 'creating' : 'changing'} the role ${String(p.after.role)}`,
  'roles.request_approved': (p) => `${p.who} approved a role change (${String(p.after.role)}) for ${p.what}`,
  'roles.request_rejected': (p) => `${p.who} rejected a role change (${String(p.after.role)}) for ${p.what}`,
  'roles.assigned': (p) =>
    `${p.who} gave ${p.what} the role ${String(p.after.role)} (was ${String(p.before.role ?? '—')}), as a second admin approved`,
  'settings.security': (p) => `${p.who} changed the security settings`,
  'settings.business': (p) => `${p.who} changed the business details`,
  'settings.inventory': (p) => `${p.who} changed the inventory settings`,
  'settings.modules': (p) => {
    const on = Array.isArray(p.after.switchedOn) ? (p.after.switchedOn as string[]) : [];
    const off = Array.isArray(p.after.switchedOff) ? (p.after.switchedOff as string[]) : [];
    const parts = [
      on.length ? `switched on ${moduleLabels(on)}` : '',
      off.length ? `switched off ${moduleLabels(off)}` : '',
    ];
    return `${p.who} ${parts.filter(Boolean).join(' and ') || 'changed the modules'}`;
  },
  'security.master_code.rotate': (p) => `${p.who} set a new master code`,
  'security.master_code.disabled': (p) =>
    `The master code was disabled after ${plural(p.after.failures, 'wrong attempt')} by ${p.who}`,
  'security.api_key.create': (p) => `${p.who} created ${p.what}`,
  'security.api_key.revoke': (p) => `${p.who} revoked ${p.what}`,
  'audit.export': (p) => `${p.who} exported the audit log`,
  'audit.checkpoint': (p) => `${p.who} signed a checkpoint of the audit log`,
  'inventory.create': (p) => `${p.who} added ${p.the('item')}`,
  'inventory.update': (p) => `${p.who} edited ${p.the('item')}`,
  'inventory.archive': (p) => `${p.who} archived ${p.the('item')}`,
  'inventory.restore': (p) => `${p.who} restored ${p.the('item')}`,
  'inventory.stock': (p) => {
    const q = Number(p.after.quantity);
    const change = Number.isFinite(q) ? `${q > 0 ? '+' : ''}${q}` : 'a change';
    return `${p.who} recorded ${change} (${String(p.after.kind ?? 'stock change')}) on ${p.what}`;
  },
  'inventory.import': (p) => `${p.who} imported ${p.what}`,
  'inventory.export': (p) => `${p.who} exported the item list`,
  'inventory.bulk_edit': (p) => `${p.who} bulk-edited ${p.what}`,
  'inventory.count_open': (p) => `${p.who} opened a stocktake`,
  'inventory.count_record': (p) => `${p.who} recorded counts on a stocktake`,
  'inventory.count_post': (p) =>
    `${p.who} posted a stocktake (${plural(p.after.counted, 'line')} counted, ${plural(p.after.adjusted, 'adjustment')})`,
  'inventory.count_cancel': (p) => `${p.who} cancelled a stocktake`,
  'categories.create': (p) => `${p.who} created ${p.the('category')}`,
  'categories.update': (p) => `${p.who} edited ${p.the('category')}`,
  'categories.archive': (p) => `${p.who} archived ${p.the('category')}`,
  'categories.restore': (p) => `${p.who} restored ${p.the('category')}`,
  'suppliers.create': (p) => `${p.who} added ${p.the('supplier')}`,
  'suppliers.update': (p) => `${p.who} edited ${p.the('supplier')}`,
  'suppliers.archive': (p) => `${p.who} archived ${p.the('supplier')}`,
  'suppliers.restore': (p) => `${p.who} restored ${p.the('supplier')}`,
  'orders.create': (p) => `${p.who} drafted ${p.what}`,
  'orders.update': (p) => `${p.who} edited ${p.what}`,
  'orders.place': (p) => `${p.who} placed ${p.what}`,
  'orders.cancel': (p) => `${p.who} cancelled ${p.what}`,
  'orders.delete': (p) => `${p.who} deleted ${p.what}`,
  'orders.invoice': (p) => `${p.who} attached an invoice to ${p.what}`,
  'orders.receive': (p) => `${p.who} received ${quantities(p.after.received)} on ${p.what}`,
};

/** Who acted, in words. */
export function actorName(e: Pick<SentenceEvent, 'actor'>): string {
  return e.actor.name ?? e.actor.label ?? (e.actor.userId ? `user ${e.actor.userId.slice(0, 8)}` : 'Someone');
}

/** What the event acted on, in words. */
export function targetName(e: Pick<SentenceEvent, 'target'>): string {
  const t = e.target;
  if (!t) return 'nothing in particular';
  if (t.name) return t.name;
  const kind = KIND[t.type] ?? t.type.replaceAll('_', ' ');
  return t.id ? `${kind} ${t.id.slice(0, 8)}` : `the ${kind}`;
}

/** The sentence for an event; an action this map does not know yet reads "<who>: <code>". */
export function auditSentence(e: SentenceEvent): string {
  const parts: Parts = {
    who: actorName(e),
    what: targetName(e),
    target: e.target ? targetName(e) : null,
    the: (kind) => `${kind} ${e.target?.name ?? e.target?.id?.slice(0, 8) ?? '—'}`,
    failed: e.outcome === 'failure',
    label: e.actor.label ?? 'an unknown account',
    before: record(e.before),
    after: record(e.after),
  };
  const template = SENTENCES[e.action];
  const text = template ? template(parts) : `${parts.who}: ${e.action}`;
  return parts.failed && !/fail|wrong/.test(text) ? `${text} (failed)` : text;
}

/** Every action code with a sentence (tests check each code the server writes has one). */
export const AUDIT_ACTIONS_WITH_SENTENCES: readonly string[] = Object.keys(SENTENCES);
