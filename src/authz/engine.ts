import type {
  Access,
  Breadth,
  DecisionCode,
  EffectiveEntry,
  Explanation,
  Override,
  Policy,
  Resource,
  RoleDef,
  Subject,
} from './types.ts';

/** Raised for role data that cannot be used: unknown permission or parent, or an inheritance cycle. */
export class RoleGraphError extends Error {
  override name = 'RoleGraphError';
}

const ALLOW = 1;
const OWN = 2;
const ELEVATED = 4;
const BIT: Readonly<Record<Policy, number>> = { allow: ALLOW, own: OWN, elevated: ELEVATED };

/**
 * `P` is the engine's permission type: the server instantiates the engine with the catalog's
 * `Permission` literal type, so checking a misspelt permission fails the type-check; the engine
 * itself stays free of the catalog (any string type will do, e.g. in its own tests).
 */
export type EngineOptions<P extends string = string> = {
  /** Every permission the engine knows; checks of anything else throw. */
  readonly permissions: readonly P[];
  readonly roles: readonly RoleDef[];
  /** Clock in epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** How dates appear in explanations; defaults to the UTC date (YYYY-MM-DD). */
  readonly formatDate?: (epochMs: number) => string;
  /**
   * Prerequisites: permission → the permissions it needs. A permission whose prerequisite is not
   * held (at any breadth: all, own or elevated records) is not in effect, whatever grants it.
   * One level: a prerequisite has no prerequisites of its own.
   */
  readonly requires?: Readonly<Partial<Record<P, readonly P[]>>>;
  /** How a permission is named in explanations (its label); defaults to its key. */
  readonly labelOf?: (permission: P) => string;
};

type CompiledRole = { readonly def: RoleDef; readonly bits: Uint8Array };

/**
 * Orders roles so that parents come before children, refusing unknown parents and cycles.
 * Returns the closure of each role's ancestors (itself first).
 */
function resolveInheritance(roles: readonly RoleDef[]): Map<string, RoleDef> {
  const byKey = new Map<string, RoleDef>();
  for (const role of roles) {
    if (byKey.has(role.key)) throw new RoleGraphError(`Role "${role.key}" is defined twice.`);
    byKey.set(role.key, role);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]): void => {
    const s = state.get(key);
    // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut; walking a finished role again finds the same
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(key)), key].map((k) => (byKey.get(k) as RoleDef).name);
      throw new RoleGraphError(`Roles cannot inherit in a circle: ${cycle.join(' → ')}.`);
    }
    const role = byKey.get(key);
    if (!role) throw new RoleGraphError(`Role "${path.at(-1)}" inherits from "${key}", which does not exist.`);
    state.set(key, 'visiting');
    for (const parent of role.inherits) visit(parent, [...path, key]);
    // Stryker disable next-line StringLiteral: any mark but 'visiting' ends the walk the same way
    state.set(key, 'done');
  };
  // Stryker disable next-line ArrayDeclaration: a top-level role's path only names its parents' child
  for (const role of roles) visit(role.key, []);
  return byKey;
}

/**
 * The permission engine. Roles are compiled once into one byte per permission (a union of
 * allow / own / elevated bits over the inheritance closure); a user's own entries are read on
 * every check, so a grant or revoke is visible to the very next check.
 */
export class Authz<P extends string = string> {
  readonly permissions: readonly P[];
  private readonly index: Map<string, number>;
  private readonly roles: Map<string, CompiledRole>;
  private readonly comboCache = new Map<string, Uint8Array>();
  private readonly now: () => number;
  private readonly formatDate: (epochMs: number) => string;
  private readonly requires: (readonly number[] | undefined)[];
  private readonly labelOf: (permission: string) => string;

  constructor(options: EngineOptions<P>) {
    this.permissions = options.permissions;
    this.index = new Map(options.permissions.map((p, i) => [p, i]));
    this.labelOf = (options.labelOf as ((permission: string) => string) | undefined) ?? ((p) => p);
    this.requires = options.permissions.map(() => undefined);
    for (const [permission, needs] of Object.entries(options.requires ?? {}) as [P, readonly P[]][]) {
      const i = this.indexOf(permission);
      for (const need of needs) {
        if ((options.requires?.[need]?.length ?? 0) > 0) {
          throw new RangeError(`"${permission}" needs "${need}", which has prerequisites itself (one level only).`);
        }
      }
      this.requires[i] = needs.map((need) => this.indexOf(need));
    }
    this.now = options.now ?? Date.now;
    this.formatDate = options.formatDate ?? ((ms) => new Date(ms).toISOString().slice(0, 10));
    const defs = resolveInheritance(options.roles);
    for (const role of options.roles) {
      for (const [permission, policy] of Object.entries(role.entries)) {
        if (!this.index.has(permission)) {
          throw new RoleGraphError(`Role "${role.name}" names an unknown permission "${permission}".`);
        }
        if (BIT[policy] === undefined) {
          throw new RoleGraphError(`Role "${role.name}" gives "${permission}" an unknown policy "${String(policy)}".`);
        }
      }
    }
    this.roles = new Map();
    const compile = (key: string): Uint8Array => {
      const done = this.roles.get(key);
      // Stryker disable next-line ConditionalExpression: memo; compiling a role again gives the same bits
      if (done) return done.bits;
      const def = defs.get(key) as RoleDef;
      const bits = new Uint8Array(this.permissions.length);
      for (const parent of def.inherits) {
        const pb = compile(parent);
        // Stryker disable next-line EqualityOperator: a typed array ignores a write past its end
        for (let i = 0; i < pb.length; i++) bits[i] = (bits[i] as number) | (pb[i] as number);
      }
      for (const [permission, policy] of Object.entries(def.entries)) {
        const i = this.index.get(permission) as number;
        bits[i] = (bits[i] as number) | BIT[policy];
      }
      this.roles.set(key, { def, bits });
      return bits;
    };
    for (const role of options.roles) compile(role.key);
  }

  /** The role definitions the engine was built from. */
  roleDefs(): RoleDef[] {
    return [...this.roles.values()].map((r) => r.def);
  }

  hasRole(key: string): boolean {
    return this.roles.has(key);
  }

  private indexOf(permission: string): number {
    const i = this.index.get(permission);
    if (i === undefined) throw new RangeError(`Unknown permission "${permission}"`);
    return i;
  }

  private roleBits(roles: readonly string[]): Uint8Array | undefined {
    // Stryker disable next-line ConditionalExpression: shortcuts; the general path below gives the same bits
    if (roles.length === 1) return this.roles.get(roles[0] as string)?.bits;
    // Stryker disable next-line ConditionalExpression: as above
    if (roles.length === 0) return undefined;
    const cacheKey = roles.join('\u0000');
    let bits = this.comboCache.get(cacheKey);
    // Stryker disable next-line ConditionalExpression: a cache; recomputing gives the same bits
    if (!bits) {
      bits = new Uint8Array(this.permissions.length);
      for (const key of roles) {
        const rb = this.roles.get(key)?.bits;
        // Stryker disable next-line EqualityOperator: a typed array ignores a write past its end
        if (rb) for (let i = 0; i < rb.length; i++) bits[i] = (bits[i] as number) | (rb[i] as number);
      }
      // Stryker disable next-line all: a cache
      this.comboCache.set(cacheKey, bits);
    }
    return bits;
  }

  /**
   * Combined bits for the subject and permission after overrides, or -1 for an explicit deny
   * or a check that cannot pass (inactive, outside an API key's scope).
   */
  private bitsFor(subject: Subject, i: number, permission: string, now: number): number {
    const bits = this.heldBits(subject, i, permission, now, true);
    if (bits <= 0 || this.requires[i] === undefined) return bits;
    return this.missingAt(subject, i, now) === null ? bits : 0;
  }

  /**
   * The first prerequisite of permission `i` the subject does not hold, or null. Judged on the
   * user's own rights: an API key scoped to an export still needs its user to hold the view, but
   * need not list the view itself.
   */
  private missingAt(subject: Subject, i: number, now: number): P | null {
    for (const j of this.requires[i] ?? []) {
      const need = this.permissions[j] as P;
      if (this.heldBits(subject, j, need, now, false) <= 0) return need;
    }
    return null;
  }

  private heldBits(subject: Subject, i: number, permission: string, now: number, keyScope: boolean): number {
    if (!subject.active) return -1;
    if (keyScope && subject.limitTo && !subject.limitTo.has(permission)) return -1;
    let bits = this.roleBits(subject.roles)?.[i] ?? 0;
    const overrides = subject.overrides;
    for (let k = 0; k < overrides.length; k++) {
      const o = overrides[k] as Override;
      if (o.permission !== permission) continue;
      if (o.expiresAt !== null && o.expiresAt <= now) continue;
      if (o.effect === 'deny') return -1;
      bits |= o.scope === 'own' ? OWN : ALLOW;
    }
    // API keys are never elevated.
    if (subject.limitTo) bits &= ~ELEVATED;
    return bits;
  }

  private static owns(subject: Subject, resource: Resource | undefined): boolean {
    // An owner id of null or undefined is never among the subject's ids.
    return resource !== undefined && subject.ownerIds.includes(resource.ownerId as string);
  }

  private static elevatedAt(subject: Subject, now: number): boolean {
    return (subject.elevatedUntil ?? Number.NEGATIVE_INFINITY) > now;
  }

  /**
   * `can(subject, permission, resource?)`: may the subject use the permission (on this resource)?
   * Deactivated: no. Explicit deny (unexpired): no. Unexpired grant: yes (an `own` grant only on
   * own resources). Then the role entries: `allow` yes; `elevated` while the session is elevated;
   * `own` only on a resource whose owner is one of the subject's ids. Nothing else allows.
   */
  can(subject: Subject, permission: P, resource?: Resource): boolean {
    const i = this.indexOf(permission);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: skips reading the clock when nothing depends on it
    const needsClock = subject.elevatedUntil !== null || subject.overrides.length > 0;
    const now = needsClock ? this.now() : 0;
    const bits = this.bitsFor(subject, i, permission, now);
    // Stryker disable next-line EqualityOperator: 0 bits fall through to false below
    if (bits <= 0) return false;
    if (bits & ALLOW) return true;
    if (bits & ELEVATED && Authz.elevatedAt(subject, now)) return true;
    return (bits & OWN) !== 0 && Authz.owns(subject, resource);
  }

  /** What the subject may do with the permission right now, regardless of a particular resource. */
  access(subject: Subject, permission: P): Access {
    const i = this.indexOf(permission);
    const now = this.now();
    const bits = this.bitsFor(subject, i, permission, now);
    if (bits <= 0) return 'none';
    if (bits & ALLOW) return 'all';
    if (bits & ELEVATED && Authz.elevatedAt(subject, now)) return 'all';
    if (bits & OWN) return 'own';
    // Some bit is set and it is neither allow nor own: elevated.
    return 'elevation-required';
  }

  /**
   * How widely the subject holds a permission, from its roles and unexpired overrides, whatever
   * the session's elevation: `null` when not at all (never granted, denied, deactivated, outside
   * an API key's scope). Used to judge whether one person covers another ("reach").
   */
  breadth(subject: Subject, permission: P): Breadth | null {
    const bits = this.bitsFor(subject, this.indexOf(permission), permission, this.now());
    if (bits <= 0) return null;
    return { allow: (bits & ALLOW) !== 0, own: (bits & OWN) !== 0, elevated: (bits & ELEVATED) !== 0 };
  }

  /**
   * Whether roles and unexpired overrides give the permission at any breadth, before prerequisites
   * are applied. What a "gap" check compares:
   * a permission given without its prerequisite is a gap, even though `can` refuses it.
   */
  given(subject: Subject, permission: P): boolean {
    return this.heldBits(subject, this.indexOf(permission), permission, this.now(), true) > 0;
  }

  /** Every catalog permission with its state and provenance: what the permissions page shows. */
  effective(subject: Subject): EffectiveEntry<P>[] {
    return this.permissions.map((p) => this.effectiveOne(subject, p));
  }

  effectiveOne(subject: Subject, permission: P): EffectiveEntry<P> {
    const i = this.indexOf(permission);
    const now = this.now();
    let override: Override | null = null;
    let expired: Override | null = null;
    for (const o of subject.overrides) {
      if (o.permission !== permission) continue;
      if (o.expiresAt !== null && o.expiresAt <= now) {
        expired ??= o;
        continue;
      }
      // The first live deny wins; otherwise the first grant for any record, else the first own grant.
      // Keep scanning so an expired entry after a deny is still reported.
      if (override?.effect === 'deny') continue;
      if (o.effect === 'deny' || override === null || (override.scope === 'own' && o.scope === 'any')) override = o;
    }
    const provenance = this.provenance(subject.roles, i);
    const state =
      override?.effect === 'deny' ? 'deny' : override?.effect === 'grant' ? 'grant' : provenance ? 'inherited' : 'none';
    const bits = this.bitsFor(subject, i, permission, now);
    return {
      permission,
      state,
      access: this.access(subject, permission),
      // Stryker disable next-line ConditionalExpression: a deny (-1) has the allow bit set too, so the last test refuses it anyway
      elevatable: bits > 0 && (bits & ELEVATED) !== 0 && (bits & ALLOW) === 0,
      role: provenance ? { key: provenance.role.key, name: provenance.role.name, via: provenance.via } : null,
      policy: provenance?.policy ?? null,
      override,
      expired,
    };
  }

  /** The strongest role entry for a permission and the inheritance path to the role that holds it. */
  private provenance(roles: readonly string[], i: number): { role: RoleDef; policy: Policy; via: string[] } | null {
    const permission = this.permissions[i] as string;
    let best: { role: RoleDef; policy: Policy; via: string[] } | null = null;
    const rank: Record<Policy, number> = { allow: 3, elevated: 2, own: 1 };
    for (const start of roles) {
      // Breadth-first: the nearest role that names the permission, preferring the strongest policy.
      const queue: string[][] = [[start]];
      const seen = new Set<string>();
      while (queue.length > 0) {
        const path = queue.shift() as string[];
        const key = path.at(-1) as string;
        // Stryker disable next-line ConditionalExpression,CallExpression: a shortcut; role graphs have no cycles
        if (seen.has(key)) continue;
        // Stryker disable next-line CallExpression: as above
        seen.add(key);
        const role = this.roles.get(key)?.def;
        if (!role) continue; // a role named on the user that no longer exists
        const policy = role.entries[permission];
        if (policy && (!best || rank[policy] > rank[best.policy])) best = { role, policy, via: path };
        for (const parent of role.inherits) queue.push([...path, parent]);
      }
    }
    return best;
  }

  private roleName(key: string): string {
    // Stryker disable next-line OptionalChaining: only called with keys from compiled provenance paths
    return this.roles.get(key)?.def.name ?? key;
  }

  private describeOverride(o: Override, verb: string): string {
    const parts = [verb];
    if (o.byName) parts.push(`by ${o.byName}`);
    if (o.at !== null && o.at !== undefined) parts.push(`on ${this.formatDate(o.at)}`);
    let text = parts.join(' ');
    if (o.reason) text += `: ${o.reason}`;
    return text;
  }

  /** The decision with the reasons a person can read. Agrees with `can` by construction. */
  explain(subject: Subject, permission: P, resource?: Resource): Explanation<P> {
    const i = this.indexOf(permission);
    const now = this.now();
    const allowed = this.can(subject, permission, resource);
    const reasons: string[] = [];
    const done = (code: DecisionCode, summary: string): Explanation<P> => ({
      permission,
      allowed,
      code,
      summary,
      reasons: [summary, ...reasons.filter((r) => r !== summary)],
    });
    if (!subject.active) return done('inactive', 'Denied: the account is deactivated.');
    if (subject.limitTo && !subject.limitTo.has(permission)) {
      return done('outside-key-scope', 'Denied: the API key in use is not allowed this permission.');
    }
    const entry = this.effectiveOne(subject, permission);
    if (entry.expired) {
      reasons.push(
        `${entry.expired.effect === 'grant' ? 'Grant' : 'Deny'} expired on ${this.formatDate(entry.expired.expiresAt as number)}.`,
      );
    }
    const roleText = (): string | null => {
      if (!entry.role) return null;
      const via = entry.role.via;
      const inherited = via.length > 1 ? ` (inherited from ${this.roleName(via.at(-1) as string)})` : '';
      const holder = this.roleName(via[0] as string);
      return `role ${holder}${inherited}`;
    };
    if (entry.override?.effect === 'deny') {
      return done('denied-explicitly', `${this.describeOverride(entry.override, 'Denied explicitly')}.`);
    }
    const missing = this.missingAt(subject, i, now);
    if (missing !== null && this.heldBits(subject, i, permission, now, true) > 0) {
      return done(
        'missing-prerequisite',
        `Not in effect: “${this.labelOf(permission)}” needs “${this.labelOf(missing)}”, which is not held.`,
      );
    }
    const rt = roleText();
    if (rt) {
      const what =
        entry.policy === 'allow'
          ? 'grants'
          : entry.policy === 'own'
            ? 'grants on own records'
            : 'grants with the master code';
      reasons.push(`The ${rt} ${what}.`);
    }
    const grant = entry.override?.effect === 'grant' ? entry.override : null;
    if (grant) {
      const until = grant.expiresAt !== null ? ` until ${this.formatDate(grant.expiresAt)}` : '';
      const scope = grant.scope === 'own' ? ' on own records' : '';
      reasons.push(`${this.describeOverride(grant, 'Granted explicitly')}${scope}${until}.`);
    }
    // Inactive, outside the key and denied returned above, so bits are never negative here.
    const bits = this.bitsFor(subject, i, permission, now);
    if (bits & ALLOW) {
      if (grant && grant.scope === 'any') {
        const until = grant.expiresAt !== null ? ` until ${this.formatDate(grant.expiresAt)}` : '';
        return done('granted-explicitly', `${this.describeOverride(grant, 'Granted explicitly')}${until}.`);
      }
      return done('granted-by-role', `Granted by ${rt}.`);
    }
    if (bits & ELEVATED && Authz.elevatedAt(subject, now)) {
      return done('granted-elevated', `Granted while elevated by the master code (${rt}).`);
    }
    if (bits & OWN) {
      const own = Authz.owns(subject, resource);
      if (own) return done('granted-own', 'Granted on own records; this record is theirs.');
      if (bits & ELEVATED) reasons.push('Needs the master code for records of others.');
      return done(
        'only-own',
        resource ? 'Denied: only own records, and this record is not theirs.' : 'Only own records.',
      );
    }
    if (bits & ELEVATED) return done('needs-elevation', 'Needs the master code.');
    // bitsFor drops elevation for API keys; say why rather than "not granted".
    if (subject.limitTo && entry.policy === 'elevated') {
      return done('needs-elevation', 'Denied: needs the master code, which API keys cannot use.');
    }
    return done('not-granted', 'Not granted: no role or explicit grant gives this permission.');
  }
}
