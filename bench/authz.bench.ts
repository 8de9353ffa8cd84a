/**
 * Permission checks: Steward's engine against CASL and node-casbin on one policy.
 * Run: npm run bench:authz   (node --expose-gc; prints ratios measured in the same run)
 *
 * Policy: the full catalog, 6 roles with inheritance, 10,000 users with 0–5 grants or denies,
 * 30% of them in an elevated session; 1,000,000 mixed checks (with and without a resource).
 * Every engine must give the same answer before anything is timed.
 */
import { subject as caslSubject, createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { newEnforcer, newModelFromString } from 'casbin';
import { Authz } from '../src/authz/index.ts';
import type { Override, Policy, Resource, RoleDef, Subject } from '../src/authz/types.ts';
import { PERMISSION_KEYS, type Permission } from '../src/shared/permissions/catalog.ts';
import { TEMPLATES } from '../src/shared/permissions/templates.ts';
import { seeded } from './support.ts';

const USERS = 10_000;
const CHECKS = Number(process.env.CHECKS ?? 1_000_000);
const CASBIN_SAMPLE = Number(process.env.CASBIN_SAMPLE ?? 10_000);
const NOW = Date.parse('2026-11-23T12:00:00Z');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:authz does)');

// Deterministic pseudo-random numbers (mulberry32), so runs compare.
const { rand, pick } = seeded(0x5eed);

// --- the policy -----------------------------------------------------------------------------
const stores = TEMPLATES.stores.roles;
const studio = TEMPLATES.studio.roles;
const ROLES: RoleDef[] = [
  ...stores,
  { ...(studio.find((r) => r.key === 'assistant') as RoleDef) },
  { ...(studio.find((r) => r.key === 'artist') as RoleDef) },
  {
    key: 'lead',
    name: 'Lead artist',
    inherits: ['artist'],
    entries: { 'clients.edit': 'elevated', 'sales.refund': 'elevated', 'agenda.export': 'allow' },
  },
];
const ROLE_KEYS = ROLES.map((r) => r.key);

type UserRecord = { id: string; role: string; overrides: Override[]; elevatedUntil: number | null };
const users: UserRecord[] = Array.from({ length: USERS }, (_, i) => ({
  id: `u${i}`,
  role: pick(ROLE_KEYS),
  overrides: Array.from({ length: Math.floor(rand() * 6) }, () => ({
    permission: pick(PERMISSION_KEYS),
    effect: rand() < 0.6 ? ('grant' as const) : ('deny' as const),
    scope: rand() < 0.3 ? ('own' as const) : ('any' as const),
    expiresAt: rand() < 0.2 ? NOW + (rand() < 0.5 ? -1 : 1) * 86_400_000 : null,
  })),
  elevatedUntil: rand() < 0.3 ? NOW + 300_000 : null,
}));
// One override per permission per user (the database's primary key).
for (const u of users) {
  const seen = new Set<string>();
  u.overrides = u.overrides.filter((o) => !seen.has(o.permission) && seen.add(o.permission));
}

type Check = { user: number; permission: Permission; owner: string | null };
const checks: Check[] = Array.from({ length: CHECKS }, () => {
  const user = Math.floor(rand() * USERS);
  const r = rand();
  return {
    user,
    permission: pick(PERMISSION_KEYS),
    owner: r < 0.35 ? `u${user}` : r < 0.7 ? `u${(user + 1) % USERS}` : null,
  };
});

// Role closure, shared by the CASL and casbin encodings.
const roleByKey = new Map(ROLES.map((r) => [r.key, r]));
function closure(key: string): Map<string, Set<Policy>> {
  const out = new Map<string, Set<Policy>>();
  const visit = (k: string) => {
    const r = roleByKey.get(k) as RoleDef;
    for (const [p, pol] of Object.entries(r.entries)) {
      if (!out.has(p)) out.set(p, new Set());
      out.get(p)?.add(pol);
    }
    for (const parent of r.inherits) visit(parent);
  };
  visit(key);
  return out;
}
const CLOSURES = new Map(ROLE_KEYS.map((k) => [k, closure(k)]));

function heapMB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

// --- Steward ------------------------------------------------------------------------------------
let base = heapMB();
const steward = new Authz({ permissions: PERMISSION_KEYS, roles: ROLES, now: () => NOW });
const subjects: Subject[] = users.map((u) => ({
  id: u.id,
  active: true,
  roles: [u.role],
  overrides: u.overrides,
  elevatedUntil: u.elevatedUntil,
  ownerIds: [u.id],
}));
const stewardHeap = heapMB() - base;
const resources: (Resource | undefined)[] = checks.map((c) => (c.owner === null ? undefined : { ownerId: c.owner }));

// --- CASL: one ability per user (roles, elevation and overrides flattened into rules) ---------
type Res = { ownerId: string | null };
type AppAbility = MongoAbility<[string, 'Resource' | (Res & { __caslSubjectType__?: 'Resource' })]>;
base = heapMB();
const abilities: AppAbility[] = users.map((u) => {
  const rules: RawRuleOf<AppAbility>[] = [];
  const elevated = u.elevatedUntil !== null && u.elevatedUntil > NOW;
  for (const [p, pols] of CLOSURES.get(u.role) as Map<string, Set<Policy>>) {
    if (pols.has('allow') || (pols.has('elevated') && elevated)) rules.push({ action: p, subject: 'Resource' });
    else if (pols.has('own')) rules.push({ action: p, subject: 'Resource', conditions: { ownerId: u.id } });
  }
  const live = u.overrides.filter((o) => o.expiresAt === null || o.expiresAt > NOW);
  for (const o of live.filter((x) => x.effect === 'grant')) {
    rules.push(
      o.scope === 'any'
        ? { action: o.permission, subject: 'Resource' }
        : { action: o.permission, subject: 'Resource', conditions: { ownerId: u.id } },
    );
  }
  // Inverted rules last: in CASL a later rule takes precedence.
  for (const o of live.filter((x) => x.effect === 'deny'))
    rules.push({ action: o.permission, subject: 'Resource', inverted: true });
  return createMongoAbility<AppAbility>(rules);
});
const caslHeap = heapMB() - base;
const caslResources = checks.map((c) => caslSubject('Resource', { ownerId: c.owner }));

// --- casbin: RBAC with role hierarchy and an ownership matcher --------------------------------
const MODEL = `
[request_definition]
r = sub, owner, act
[policy_definition]
p = sub, act, scope, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = g(r.sub, p.sub) && r.act == p.act && (p.scope == "any" || r.owner == r.sub)
`;
base = heapMB();
const enforcer = await newEnforcer(newModelFromString(MODEL));
const policies: string[][] = [];
const grouping: string[][] = [];
for (const r of ROLES) {
  for (const [p, pol] of Object.entries(r.entries)) {
    if (pol !== 'elevated') policies.push([`role:${r.key}`, p, pol === 'own' ? 'own' : 'any', 'allow']);
  }
  for (const parent of r.inherits) grouping.push([`role:${r.key}`, `role:${parent}`]);
}
for (const u of users) {
  grouping.push([u.id, `role:${u.role}`]);
  if (u.elevatedUntil !== null && u.elevatedUntil > NOW) {
    for (const [p, pols] of CLOSURES.get(u.role) as Map<string, Set<Policy>>) {
      if (pols.has('elevated')) policies.push([u.id, p, 'any', 'allow']);
    }
  }
  for (const o of u.overrides.filter((x) => x.expiresAt === null || x.expiresAt > NOW)) {
    // A deny is total in Steward whatever its scope, so it matches every resource here too.
    policies.push([u.id, o.permission, o.effect === 'deny' ? 'any' : o.scope, o.effect === 'grant' ? 'allow' : 'deny']);
  }
}
await enforcer.addPolicies(policies);
await enforcer.addGroupingPolicies(grouping);
const casbinHeap = heapMB() - base;

// --- timing: whole-run throughput, and per-check latency from batches of 100 ---------------------
function time(run: (i: number) => boolean, indices: readonly number[] | null, n: number) {
  const batch = 100;
  const lat: number[] = [];
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let start = 0; start < n; start += batch) {
    const b0 = process.hrtime.bigint();
    const end = Math.min(n, start + batch);
    for (let j = start; j < end; j++) if (run(indices ? (indices[j] as number) : j)) sink++;
    lat.push(Number(process.hrtime.bigint() - b0) / (end - start) / 1000);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number;
  return { perSec: Math.round(n / secs), p50us: +q(0.5).toFixed(3), p99us: +q(0.99).toFixed(3), sink };
}
// --- agreement first ------------------------------------------------------------------------------
const sampleIdx = Array.from({ length: Math.min(CASBIN_SAMPLE, CHECKS) }, () => Math.floor(rand() * CHECKS));
let disagreements = 0;
const report = (engine: string, i: number, a: boolean, b: boolean) => {
  if (disagreements++ < 5)
    console.error(`DISAGREE ${engine}: check #${i} ${JSON.stringify(checks[i])} steward=${a} ${engine}=${b}`);
};
const expected: boolean[] = new Array(CHECKS);
for (let i = 0; i < CHECKS; i++) {
  const c = checks[i] as Check;
  const s = steward.can(subjects[c.user] as Subject, c.permission, resources[i]);
  expected[i] = s;
  const k = (abilities[c.user] as AppAbility).can(
    c.permission,
    caslResources[i] as Res & { __caslSubjectType__: 'Resource' },
  );
  if (k !== s) report('casl', i, s, k);
}
// casbin is slow enough (a scan of every policy line per check) that its sample is checked and
// timed in one pass: each answer is kept and compared once the pass ends.
const casbinAnswers: boolean[] = [];
const cb = time(
  (i) => {
    const c = checks[i] as Check;
    const b = enforcer.enforceSync(`u${c.user}`, c.owner ?? '', c.permission);
    casbinAnswers.push(b);
    return b;
  },
  sampleIdx,
  sampleIdx.length,
);
sampleIdx.forEach((i, j) => {
  if (casbinAnswers[j] !== expected[i]) report('casbin', i, expected[i] as boolean, casbinAnswers[j] as boolean);
});
const allowedShare = expected.filter(Boolean).length / CHECKS;
console.log(
  `agreement: ${CHECKS.toLocaleString()} checks Steward vs CASL, ${sampleIdx.length.toLocaleString()} sampled vs casbin; ${disagreements} disagreements; ${(allowedShare * 100).toFixed(1)}% allowed`,
);
if (disagreements > 0) {
  console.log(JSON.stringify({ agree: false, disagreements }));
  process.exit(1);
}

const runSteward = (i: number) => {
  const c = checks[i] as Check;
  return steward.can(subjects[c.user] as Subject, c.permission, resources[i]);
};
const runCasl = (i: number) => {
  const c = checks[i] as Check;
  return (abilities[c.user] as AppAbility).can(
    c.permission,
    caslResources[i] as Res & { __caslSubjectType__: 'Resource' },
  );
};
// Warm-up, then measure.
time(runSteward, null, Math.min(CHECKS, 100_000));
time(runCasl, null, Math.min(CHECKS, 100_000));
const s = time(runSteward, null, CHECKS);
const k = time(runCasl, null, CHECKS);

// --- never stale: a grant or revoke shows on the very next check -------------------------------
const probe = users.findIndex(
  (u, i) => !steward.can(subjects[i] as Subject, 'backup.restore') && u.overrides.length < 5,
);
const before = steward.can(subjects[probe] as Subject, 'backup.restore');
// What the server does on every request: load the user's rows again into a new subject.
const granted: Subject = {
  ...(subjects[probe] as Subject),
  overrides: [
    ...(subjects[probe] as Subject).overrides,
    { permission: 'backup.restore', effect: 'grant', scope: 'any', expiresAt: null },
  ],
};
const afterGrant = steward.can(granted, 'backup.restore');
const revoked: Subject = { ...granted, overrides: granted.overrides.filter((o) => o.permission !== 'backup.restore') };
const afterRevoke = steward.can(revoked, 'backup.restore');
const staleAfterChange = !(before === false && afterGrant === true && afterRevoke === false);

const per10k = (mb: number) => +((mb * 10_000) / USERS).toFixed(2);
const row = (name: string, r: { perSec: number; p50us: number; p99us: number }, heap: number, n: number) =>
  `${name.padEnd(8)} ${r.perSec.toLocaleString().padStart(12)} checks/s   p50 ${r.p50us.toFixed(3)} µs   p99 ${r.p99us.toFixed(3)} µs   heap ${per10k(heap).toFixed(2)} MB / 10k users   (${n.toLocaleString()} checks)`;
console.log(row('steward', s, stewardHeap, CHECKS));
console.log(row('casl', k, caslHeap, CHECKS));
console.log(row('casbin', cb, casbinHeap, sampleIdx.length));
console.log(
  `(casbin is checked and timed on a random sample of ${sampleIdx.length.toLocaleString()} of the ${CHECKS.toLocaleString()} checks, in one pass: its per-user policies make every check a scan)`,
);
console.log(
  `ratios: Steward/CASL throughput ${(s.perSec / k.perSec).toFixed(1)}×, memory ${(caslHeap / Math.max(stewardHeap, 0.01)).toFixed(1)}× less; Steward/casbin throughput ${(s.perSec / cb.perSec).toFixed(0)}×, memory ${(casbinHeap / Math.max(stewardHeap, 0.01)).toFixed(1)}× less`,
);
console.log(
  `after a grant the next check allows (${afterGrant}); after the revoke it denies (${!afterRevoke}): stale=${staleAfterChange}`,
);
console.log(
  JSON.stringify({
    agree: true,
    checks: CHECKS,
    casbinSample: sampleIdx.length,
    steward: { perSec: s.perSec, p50us: s.p50us, p99us: s.p99us, heapMB: per10k(stewardHeap) },
    casl: { perSec: k.perSec, p50us: k.p50us, p99us: k.p99us, heapMB: per10k(caslHeap) },
    casbin: { perSec: cb.perSec, p50us: cb.p50us, p99us: cb.p99us, heapMB: per10k(casbinHeap) },
    ratios: {
      caslThroughput: +(s.perSec / k.perSec).toFixed(2),
      caslMemory: +(caslHeap / Math.max(stewardHeap, 0.01)).toFixed(2),
    },
    staleAfterChange,
  }),
);
