import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICIES } from '../shared/permissions/policy.ts';
import { Authz, RoleGraphError } from './engine.ts';
import type { Access, DecisionCode, EffectiveState, Override, Policy, Resource, RoleDef, Subject } from './types.ts';

/**
 * The engine against a naive resolver written separately from it: walk the inheritance graph
 * for every check, read the overrides, apply the rules of product.md literally.
 */
const PERMS = ['a.view', 'a.edit', 'b.view', 'b.delete', 'c.manage', 'c.export'];
const NOW = 1_000_000;
/** 10,000 in the test suite; mutation testing runs fewer per mutant (vitest.mutation.config.ts). */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);

function naiveCan(
  roles: readonly RoleDef[],
  s: Subject,
  permission: string,
  resource: Resource | undefined,
  now: number,
) {
  if (!s.active) return false;
  if (s.limitTo && !s.limitTo.has(permission)) return false;
  const live = s.overrides.filter((o) => o.permission === permission && (o.expiresAt === null || o.expiresAt > now));
  if (live.some((o) => o.effect === 'deny')) return false;
  const owns = resource?.ownerId != null && s.ownerIds.includes(resource.ownerId);
  if (live.some((o) => o.effect === 'grant' && o.scope === 'any')) return true;
  if (live.some((o) => o.effect === 'grant' && o.scope === 'own') && owns) return true;
  const policies = naivePolicies(roles, s, permission);
  if (policies.has('allow')) return true;
  if (policies.has('elevated') && !s.limitTo && s.elevatedUntil !== null && s.elevatedUntil > now) return true;
  return policies.has('own') && owns;
}

/** Every policy the subject's roles give the permission, walking the inheritance graph naively. */
function naivePolicies(roles: readonly RoleDef[], s: Subject, permission: string): Set<Policy> {
  const policies = new Set<Policy>();
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const role = roles.find((r) => r.key === key);
    if (!role) return;
    const p = role.entries[permission];
    if (p) policies.add(p);
    for (const parent of role.inherits) visit(parent);
  };
  for (const r of s.roles) visit(r);
  return policies;
}

/**
 * What the permissions page and the route guard should see, from the rules of product.md:
 * the access level, the decision code of an explanation, the page's colour, which override is
 * shown, which expired entry is mentioned, and whether the master code would help.
 */
function naiveView(
  roles: readonly RoleDef[],
  s: Subject,
  permission: string,
  resource: Resource | undefined,
  now: number,
) {
  const mine = s.overrides.filter((o) => o.permission === permission);
  const live = mine.filter((o) => o.expiresAt === null || o.expiresAt > now);
  const expired = mine.find((o) => o.expiresAt !== null && o.expiresAt <= now) ?? null;
  const deny = live.find((o) => o.effect === 'deny') ?? null;
  const anyGrant = live.find((o) => o.effect === 'grant' && o.scope === 'any') ?? null;
  const ownGrant = live.find((o) => o.effect === 'grant' && o.scope === 'own') ?? null;
  const override = deny ?? anyGrant ?? ownGrant;
  const rolePolicies = naivePolicies(roles, s, permission);
  const state: EffectiveState = deny ? 'deny' : override ? 'grant' : rolePolicies.size > 0 ? 'inherited' : 'none';
  const strongest: Policy | null = rolePolicies.has('allow')
    ? 'allow'
    : rolePolicies.has('elevated')
      ? 'elevated'
      : rolePolicies.has('own')
        ? 'own'
        : null;
  const blocked = !s.active || (s.limitTo != null && !s.limitTo.has(permission)) || deny !== null;
  const allow = !blocked && (rolePolicies.has('allow') || anyGrant !== null);
  const own = !blocked && (rolePolicies.has('own') || ownGrant !== null);
  const elevatedPolicy = !blocked && rolePolicies.has('elevated') && !s.limitTo;
  const elevatedNow = s.elevatedUntil !== null && s.elevatedUntil > now;
  const owns = resource?.ownerId != null && s.ownerIds.includes(resource.ownerId);
  const access: Access = allow
    ? 'all'
    : elevatedPolicy && elevatedNow
      ? 'all'
      : own
        ? 'own'
        : elevatedPolicy
          ? 'elevation-required'
          : 'none';
  let code: DecisionCode;
  if (!s.active) code = 'inactive';
  else if (s.limitTo && !s.limitTo.has(permission)) code = 'outside-key-scope';
  else if (deny) code = 'denied-explicitly';
  else if (allow) code = anyGrant ? 'granted-explicitly' : 'granted-by-role';
  else if (elevatedPolicy && elevatedNow) code = 'granted-elevated';
  else if (own) code = owns ? 'granted-own' : 'only-own';
  else if (elevatedPolicy || (s.limitTo && rolePolicies.has('elevated'))) code = 'needs-elevation';
  else code = 'not-granted';
  return { access, code, state, override, expired, strongest, elevatable: elevatedPolicy && !allow };
}

const policy = fc.constantFrom<Policy>(...POLICIES);

/** 1–6 roles; role i inherits only from roles before it, so the graph is acyclic. */
const roleGraph = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc
    .tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          inherits: fc.subarray(
            Array.from({ length: i }, (_, j) => `r${j}`),
            { maxLength: Math.min(3, i) },
          ),
          entries: fc.dictionary(fc.constantFrom(...PERMS), policy, { maxKeys: 4 }),
        }),
      ),
    )
    .map((defs) =>
      defs.map((d, i): RoleDef => ({ key: `r${i}`, name: `R${i}`, inherits: d.inherits, entries: d.entries })),
    ),
);

const time = fc.oneof(
  fc.constant(null),
  fc.constantFrom(NOW - 1, NOW, NOW + 1),
  fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }),
);

const overrideArb: fc.Arbitrary<Override> = fc.record({
  permission: fc.constantFrom(...PERMS),
  effect: fc.constantFrom<'grant' | 'deny'>('grant', 'deny'),
  scope: fc.constantFrom<'any' | 'own'>('any', 'own'),
  expiresAt: time,
});

function scenario(roles: RoleDef[]) {
  return fc.record({
    subject: fc.record({
      id: fc.constant('me'),
      active: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
      roles: fc.subarray(
        roles.map((r) => r.key),
        { maxLength: Math.min(3, roles.length) },
      ),
      overrides: fc.array(overrideArb, { maxLength: 5 }),
      elevatedUntil: time,
      ownerIds: fc.constantFrom(['me'], ['me', 'artist-1']),
      limitTo: fc.option(
        fc.subarray(PERMS).map((ps) => new Set(ps)),
        { freq: 4 },
      ),
    }),
    permission: fc.constantFrom(...PERMS),
    resource: fc.option(fc.record({ ownerId: fc.constantFrom('me', 'artist-1', 'someone-else', null) })),
  });
}

describe('engine agrees with a naive resolver', () => {
  it('on 10,000 random role graphs, grants, denies, scopes, expiries and elevations', () => {
    fc.assert(
      fc.property(
        roleGraph.chain((roles) =>
          fc.tuple(fc.constant(roles), fc.array(scenario(roles), { minLength: 1, maxLength: 8 })),
        ),
        ([roles, cases]) => {
          const engine = new Authz({ permissions: PERMS, roles, now: () => NOW });
          for (const c of cases) {
            const subject = c.subject as Subject;
            const resource = c.resource ?? undefined;
            const expected = naiveCan(roles, subject, c.permission, resource, NOW);
            expect(engine.can(subject, c.permission, resource)).toBe(expected);
            expect(engine.explain(subject, c.permission, resource).allowed).toBe(expected);
            // access() is the route-level view: 'all' exactly when allowed on any resource.
            const all = engine.access(subject, c.permission) === 'all';
            expect(all).toBe(naiveCan(roles, subject, c.permission, { ownerId: 'nobody-owns-this' }, NOW));
            // The guard's access level, the explanation's code and the permissions page's entry,
            // each against the naive view (not against can(), which explain() itself calls).
            const view = naiveView(roles, subject, c.permission, resource, NOW);
            expect(engine.access(subject, c.permission)).toBe(view.access);
            expect(engine.explain(subject, c.permission, resource).code).toBe(view.code);
            const entry = engine.effectiveOne(subject, c.permission);
            expect(entry.state).toBe(view.state);
            expect(entry.access).toBe(view.access);
            expect(entry.override).toBe(view.override);
            expect(entry.expired).toBe(view.expired);
            expect(entry.elevatable).toBe(view.elevatable);
            expect(entry.policy).toBe(view.strongest);
            if (entry.role) {
              // The role named holds the policy shown, reached by a real inheritance path.
              const via = entry.role.via;
              expect(subject.roles).toContain(via[0]);
              for (let k = 1; k < via.length; k++) {
                expect(roles.find((r) => r.key === via[k - 1])?.inherits).toContain(via[k]);
              }
              expect(via.at(-1)).toBe(entry.role.key);
              expect(roles.find((r) => r.key === entry.role?.key)?.entries[c.permission]).toBe(entry.policy);
            } else {
              expect(view.strongest).toBeNull();
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses every role graph with a cycle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 }), (n, back) => {
        // r0 ← r1 ← … ← r(n-1), then r(k) inherits from r(n-1) to close a loop.
        const k = back % n;
        const roles: RoleDef[] = Array.from({ length: n }, (_, i) => ({
          key: `r${i}`,
          name: `R${i}`,
          inherits: [...(i > 0 ? [`r${i - 1}`] : []), ...(i === k ? [`r${n - 1}`] : [])],
          entries: {},
        }));
        expect(() => new Authz({ permissions: PERMS, roles })).toThrow(RoleGraphError);
      }),
      { numRuns: 500 },
    );
  });
});
