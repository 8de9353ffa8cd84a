/**
 * Reliability #23: bad input never breaks Steward. Every route gets generated junk — bodies of
 * every JSON shape, odd path parameters and query strings — from a signed-in admin. Every answer
 * must be below 500, every refusal an RFC 9457 problem document, and a refusal writes nothing:
 * every change writes its audit event in its transaction, so an unchanged audit log means an
 * unchanged database (routes that record refused attempts on purpose are named below).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createBusinessApp, ENGINES, login, type Session, type TestApp } from './harness.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 150);

// Routes whose purpose is to end the caller's session or elevation: fuzzed with a fresh session each time.
const ENDS_SESSION = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/auth/password', 'DELETE /api/v1/auth/elevate']);

// Refusals these routes record on purpose (a wrong password or master code is a security event).
const AUDITS_REFUSALS = new Set(['POST /api/v1/auth/login', 'POST /api/v1/auth/elevate', 'POST /api/v1/auth/password']);

const segment = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('0', '-1', '%00', '..', 'null', 'undefined', '1e309', "' or 1=1 --", '%F0%9F%98%80', 'a'.repeat(300)),
);
const query = fc.dictionary(
  fc.constantFrom(
    'q',
    'page',
    'pageSize',
    'limit',
    'before',
    'status',
    'format',
    'sort',
    'order',
    'from',
    'to',
    'user',
    'lowStock',
    'archived',
    'area',
  ),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer().map(String),
    fc.constantFrom('-1', '0', '1e9', 'NaN', 'true', '[]', '%'),
  ),
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.json({ maxDepth: 3 }).map((s) => JSON.parse(s) as unknown),
  fc.object({ maxDepth: 2 }),
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      email: fc.oneof(fc.emailAddress(), fc.string()),
      sku: fc.string({ maxLength: 80 }),
      quantity: fc.oneof(fc.integer(), fc.double(), fc.string()),
      kind: fc.constantFrom('in', 'out', 'adjustment', 'x'),
      effect: fc.constantFrom('grant', 'deny', 'inherit', 'x'),
      reason: fc.string(),
      roleKey: fc.string({ maxLength: 10 }),
      lines: fc.array(
        fc.record({ itemId: fc.string(), quantity: fc.integer(), lineId: fc.integer(), unitCost: fc.integer() }),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
);

describe.each(ENGINES)('generated bad input on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let email: string;
  beforeAll(async () => {
    ({ t, admin, email } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it(`answers ${CASES} generated requests per route below 500, refusing with problem+json`, {
    timeout: 600_000,
  }, async () => {
    const routes = t.app
      .routeGuards()
      .filter((r) => r.method !== 'HEAD' && r.url.startsWith('/api/v1/') && r.url !== '/api/v1/setup');
    const failures: string[] = [];
    const auditCount = async () =>
      Number(
        (
          await t.app.services.database.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { minLength: 3, maxLength: 3 }), query, body, async (params, q, payload) => {
          const session = ENDS_SESSION.has(key) ? await login(t.app, email, ADMIN_PASSWORD) : admin;
          let i = 0;
          const url = route.url.replace(/:[a-zA-Z]+/g, () => encodeURIComponent(params[i++] ?? 'x'));
          const qs = new URLSearchParams(q as Record<string, string>).toString();
          const before = await auditCount();
          const res = await session.inject({
            method: route.method as 'GET',
            url: qs ? `${url}?${qs}` : url,
            ...(route.method === 'GET' || route.method === 'DELETE'
              ? {}
              : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
          });
          if (res.statusCode >= 500)
            failures.push(
              `${key} → ${res.statusCode} ${res.body.slice(0, 200)} (payload ${JSON.stringify(payload).slice(0, 120)})`,
            );
          if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json')) {
            failures.push(`${key} → ${res.statusCode} without problem+json: ${res.headers['content-type']}`);
          }
          if (res.statusCode >= 400 && !AUDITS_REFUSALS.has(key) && (await auditCount()) !== before) {
            failures.push(
              `${key} → ${res.statusCode} but wrote an audit event (payload ${JSON.stringify(payload).slice(0, 120)})`,
            );
          }
        }),
        { numRuns: CASES },
      );
      if (failures.length > 0) break;
    }
    expect(failures).toEqual([]);
  });
});
