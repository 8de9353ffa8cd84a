/** Types of the permission engine. Pure data: no I/O, no framework. */

import type { Policy } from '../shared/permissions/policy.ts';

export type { Policy };

/** A role as data: its own entries plus the roles it extends. */
export type RoleDef = {
  readonly key: string;
  readonly name: string;
  readonly inherits: readonly string[];
  readonly entries: Readonly<Record<string, Policy>>;
};

/** A per-user entry that overrides the roles. Deny wins over everything. */
export type Override = {
  readonly permission: string;
  readonly effect: 'grant' | 'deny';
  /** `own`: the grant covers only resources the user owns. Ignored for denies (a deny is total). */
  readonly scope: 'any' | 'own';
  /** Epoch milliseconds after which the entry no longer applies; null = no expiry. */
  readonly expiresAt: number | null;
  readonly reason?: string | null;
  /** Display name of whoever made the change, for explanations. */
  readonly byName?: string | null;
  /** Epoch milliseconds of the change, for explanations. */
  readonly at?: number | null;
};

/** Who is asking. Built per request from the database, so a change applies on the next request. */
export type Subject = {
  readonly id: string;
  readonly active: boolean;
  readonly roles: readonly string[];
  readonly overrides: readonly Override[];
  /** Epoch milliseconds until which this session is elevated by the master code; null = not elevated. */
  readonly elevatedUntil: number | null;
  /** Ids that make a resource "own": the user's id, and e.g. a linked artist profile id. */
  readonly ownerIds: readonly string[];
  /** API keys: the only permissions the key may use (still subject to the user's own rights). */
  readonly limitTo?: ReadonlySet<string> | null;
};

/** The resource a check is about; `ownerId` is the user or artist the record belongs to. */
export type Resource = { readonly ownerId: string | null | undefined };

/**
 * What a subject may do with a permission, ignoring any particular resource:
 * - `all`: every record, now;
 * - `own`: only records they own (unless elevated, see `needsElevation`);
 * - `elevation-required`: nothing now, every record once the session is elevated;
 * - `none`.
 */
export type Access = 'all' | 'own' | 'elevation-required' | 'none';

/** How widely a permission is held: `allow` covers every record at any time, and so `own` and `elevated` too. */
export type Breadth = { readonly allow: boolean; readonly own: boolean; readonly elevated: boolean };

export type DecisionCode =
  | 'inactive'
  | 'outside-key-scope'
  | 'denied-explicitly'
  | 'granted-explicitly'
  | 'granted-by-role'
  | 'granted-elevated'
  | 'granted-own'
  | 'needs-elevation'
  | 'only-own'
  | 'missing-prerequisite'
  | 'not-granted';

export type Explanation<P extends string = string> = {
  readonly permission: P;
  readonly allowed: boolean;
  readonly code: DecisionCode;
  /** One line a person can read, e.g. "Granted by role Superuser (inherited from User)." */
  readonly summary: string;
  /** Every fact that went into the decision, most decisive first. */
  readonly reasons: readonly string[];
};

/** The colour the permissions page shows: green, gray, red or empty. */
export type EffectiveState = 'grant' | 'inherited' | 'deny' | 'none';

export type EffectiveEntry<P extends string = string> = {
  readonly permission: P;
  readonly state: EffectiveState;
  readonly access: Access;
  /** True when elevation would widen access to every record (role entry `elevated`). */
  readonly elevatable: boolean;
  /** The role that provides the best role entry, and the inheritance path to it (e.g. ['admin','superuser','user']). */
  readonly role: { readonly key: string; readonly name: string; readonly via: readonly string[] } | null;
  readonly policy: Policy | null;
  /** The override in force (grant or deny), if any. */
  readonly override: Override | null;
  /** An override that no longer applies because it expired. */
  readonly expired: Override | null;
};
