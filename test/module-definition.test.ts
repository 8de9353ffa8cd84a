/**
 * Issue 18, part 1: a module declares itself once, and everything iterates the list. A throw-away
 * module (one resource, one route, one audit action, one nav entry) added to an app is found by
 * the route × principal matrix, the audit-completeness run, OpenAPI and the navigation; a route
 * whose permission a built-in role gives as `own` on a resource without an owner stops the server
 * at start-up, naming both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { compose, composeCore, composeServices } from '../src/server/compose.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { actorOf } from '../src/server/http/guard.ts';
import { contextOf } from '../src/server/http/route.ts';
import { MODULES } from '../src/server/modules/index.ts';
import { type AnyModule, defineModule, ownOnOwnerlessProblems } from '../src/server/modules/module.ts';
import { AUDIT_ACTIONS_WITH_SENTENCES } from '../src/shared/audit-sentences.ts';
import { navItemsFor, settingsTabsFor, type Viewer, WEB_MODULES } from '../src/shared/modules.ts';
import { type RoleTemplate, TEMPLATES } from '../src/shared/permissions/templates.ts';
import { auditCoverageProblems, runAuditScenarios, SCENARIOS, type Scenario } from './audit-scenarios.ts';
import {
  createBusinessApp,
  createClock,
  createStaff,
  createTestApp,
  createTestDatabase,
  ENGINES,
  type TestApp,
  testConfig,
} from './harness.ts';
import {
  anonymous,
  matrixRoutes,
  outcomeOf,
  type Principal,
  roleLevel,
  runMatrix,
  sessionPrincipal,
} from './matrix-harness.ts';

/** The throw-away module: one resource, one route, one audit action, one nav entry. */
const gadgets = defineModule({
  key: 'gadgets',
  label: 'Throw-away gadgets',
  resources: { gadget: { table: 'items', owner: null } },
  services: (core) => ({
    gadgets: {
      ping: (actor: Parameters<typeof core.audit.record>[1]['actor'], context: ReturnType<typeof contextOf>) =>
        core.database.db
          .transaction()
          .execute((trx) =>
            core.audit.record(trx, { action: 'gadgets.ping', actor, target: { type: 'gadget', id: null }, context }),
          ),
    },
  }),
  routes: async (app, s) => {
    app.post(
      '/gadgets/ping',
      { config: { permission: 'inventory.add', resource: 'gadget' } },
      async (request, reply) => {
        await s.gadgets.ping(actorOf(request), contextOf(request));
        return reply.code(201).send({ pinged: true });
      },
    );
  },
  audit: ['gadgets.ping'],
  web: { nav: [{ business: 'gadgets', label: 'Gadgets', path: '/gadgets', anyOf: ['inventory.add'] }] },
});

const GADGET_SCENARIO: Record<string, Scenario> = {
  'POST /api/v1/gadgets/ping': {
    action: 'gadgets.ping',
    status: 201,
    call: async () => ({ method: 'POST', url: '/api/v1/gadgets/ping', payload: {} }),
  },
};

describe('the module list', () => {
  it('names the same modules on the server and in the web part', () => {
    expect(MODULES.map((m) => m.key).sort()).toEqual(Object.keys(WEB_MODULES).sort());
  });

  it('declares every audit action that has a sentence, and a sentence for every action declared', () => {
    const declared = new Set(MODULES.flatMap((m) => m.audit));
    expect([...declared].filter((a) => !AUDIT_ACTIONS_WITH_SENTENCES.includes(a))).toEqual([]);
    expect(AUDIT_ACTIONS_WITH_SENTENCES.filter((a) => !declared.has(a))).toEqual([]);
  });

  it('gives every setting a default its own schema accepts', () => {
    const settings = MODULES.flatMap((m) => Object.entries(m.settings).map(([k, s]) => ({ k: `${m.key}.${k}`, s })));
    expect(settings.map((x) => x.k).sort()).toEqual(['inventory.inventory', 'security.security']);
    for (const { k, s } of settings) expect(s.schema.safeParse(s.default).success, k).toBe(true);
  });
});

describe('the start-up check for own access on a resource without an owner', () => {
  const template = (entries: Record<string, 'allow' | 'own' | 'elevated'>): RoleTemplate => ({
    key: 'artist',
    name: 'Artist',
    description: '',
    inherits: [],
    entries,
  });
  const route = (permission: string | null, resource: string | null) => ({
    method: 'POST',
    url: '/api/v1/things',
    permission,
    resource,
  });
  const resources = {
    thing: { table: 'items', owner: null },
    mine: { table: 'users', owner: 'id' },
  } as const;
  const templates = [{ template: 'studio', roles: [template({ 'reports.view': 'own', 'sales.view': 'allow' })] }];

  it('names the route, the permission, the role and the resource', () => {
    expect(ownOnOwnerlessProblems([route('reports.view', 'thing')], resources, templates)).toEqual([
      'POST /api/v1/things: permission "reports.view" is given as own records only (studio/artist), but the route acts on "thing", which has no owner',
    ]);
    expect(ownOnOwnerlessProblems([route('reports.view', null)], resources, templates)).toEqual([
      'POST /api/v1/things: permission "reports.view" is given as own records only (studio/artist), but the route names no resource',
    ]);
  });

  it('accepts an owned resource, a permission no template gives as own, and routes without a permission', () => {
    expect(
      ownOnOwnerlessProblems(
        [
          route('reports.view', 'mine'),
          route('sales.view', 'thing'),
          route('inventory.view', 'thing'),
          route(null, null),
        ],
        resources,
        templates,
      ),
    ).toEqual([]);
  });

  it('passes for every route of the listed modules and the built-in templates', async () => {
    const t = await createTestApp('sqlite');
    try {
      expect(t.app.routeGuards().length).toBeGreaterThan(80);
    } finally {
      await t.close();
    }
  });

  for (const [resource, owner] of [
    ['report_sheet', null],
    ['report_note', 'user_id'],
  ] as const) {
    it(`${owner === null ? 'refuses to start' : 'starts'} with a route of an own-given permission on ${owner === null ? 'an ownerless' : 'an owned'} resource`, async () => {
      const reports = defineModule({
        key: `reports-${resource}`,
        label: 'Reports',
        resources: { [resource]: { table: owner === null ? 'items' : 'api_keys', owner } },
        routes: async (app) => {
          app.get(`/${resource}`, { config: { permission: 'reports.view', resource } }, async () => ({}));
        },
      });
      // The studio template's Artist holds reports.view on own records only.
      expect(TEMPLATES.studio.roles.find((r) => r.key === 'artist')?.entries['reports.view']).toBe('own');
      const db = await createTestDatabase('sqlite');
      const app = await buildApp(testConfig(db.config, createClock(), {}, db.dataDir), {
        database: openDatabase(db.config),
        extraModules: [reports],
      });
      try {
        if (owner === null) {
          await expect(app.ready()).rejects.toThrow(
            `GET /api/v1/${resource}: permission "reports.view" is given as own records only (studio/artist), but the route acts on "${resource}", which has no owner`,
          );
        } else {
          await expect(app.ready()).resolves.toBeDefined();
        }
      } finally {
        await app.close().catch(() => undefined);
        await db.drop();
      }
    });
  }
});

describe('one composition root', () => {
  it('builds the same services for the CLI as for the server', async () => {
    const t = await createTestApp('sqlite');
    try {
      const cli = compose(t.config, t.app.services.database);
      expect(Object.keys(cli).sort()).toEqual(Object.keys(t.app.services).sort());
      expect(Object.keys(cli)).toEqual(expect.arrayContaining(['setup', 'auth', 'users', 'items', 'orders', 'audit']));
    } finally {
      await t.close();
    }
  });

  it('refuses two modules that provide a service of the same name', async () => {
    const t = await createTestApp('sqlite');
    try {
      const twin: AnyModule = defineModule({ key: 'twin', label: 'Twin', services: () => ({ items: {} }) });
      expect(() => composeServices(composeCore(t.config, t.app.services.database), [...MODULES, twin])).toThrow(
        'Modules "inventory" and "twin" both provide the service "items".',
      );
    } finally {
      await t.close();
    }
  });
});

describe('navigation from the modules', () => {
  const viewer = (permissions: string[], modules: string[]): Viewer => ({
    permissions: permissions.map((permission) => ({ permission, access: 'all' })),
    business: { modules },
  });
  const withGadgets = { ...WEB_MODULES, gadgets: gadgets.web };

  it('lists the throw-away module for a user with its permission, and not without', () => {
    const items = navItemsFor(viewer(['inventory.add'], ['inventory', 'gadgets']), withGadgets);
    expect(items).toContainEqual({ key: 'gadgets', label: 'Gadgets', areas: [], path: '/gadgets' });
    expect(navItemsFor(viewer(['inventory.view'], ['inventory', 'gadgets']), withGadgets).map((i) => i.key)).toEqual([
      'inventory',
    ]);
    // Not switched on for the business: not listed.
    expect(navItemsFor(viewer(['inventory.add'], ['inventory']), withGadgets).map((i) => i.key)).toEqual(['inventory']);
  });

  it('opens each business module at the first screen the user may open, or marks it as coming', () => {
    const stores = TEMPLATES.stores.modules as readonly string[];
    expect(navItemsFor(viewer(['security.audit', 'orders.view', 'sales.view'], [...stores]))).toEqual([
      { key: 'sales', label: 'Sales', areas: ['sales'], path: null },
      { key: 'orders', label: 'Purchase orders', areas: ['orders'], path: '/orders' },
      { key: 'security', label: 'Audit log', areas: ['security'], path: '/audit' },
    ]);
    expect(navItemsFor(viewer(['security.api_keys'], [...stores])).map((i) => i.path)).toEqual(['/settings/security']);
    // Settings opens only when a tab does; the inventory tab only while inventory is switched on.
    expect(navItemsFor(viewer(['settings.view'], ['settings'])).map((i) => i.path)).toEqual(['/settings']);
    expect(settingsTabsFor(viewer(['settings.view'], ['settings'])).map((t) => t.path)).toEqual([
      'modules',
      'security',
      'business',
    ]);
    expect(
      settingsTabsFor(viewer(['settings.view', 'users.view'], ['settings', 'inventory'])).map((t) => t.path),
    ).toEqual(['users', 'roles', 'modules', 'inventory', 'security', 'business']);
    expect(navItemsFor(viewer(['settings.permissions'], ['settings'])).map((i) => i.path)).toEqual(['/settings']);
  });
});

describe.each(ENGINES)('a throw-away module on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { extraModules: [gadgets] });
  });
  afterAll(async () => t.close());

  it('is found by the audit-completeness run, and its route writes its declared action', async () => {
    expect(auditCoverageProblems(t.app, SCENARIOS)).toEqual([
      'module gadgets: POST /api/v1/gadgets/ping has no audit scenario',
    ]);
    const wrong = {
      'POST /api/v1/gadgets/ping': { ...GADGET_SCENARIO['POST /api/v1/gadgets/ping'], action: 'gadgets.pong' },
    };
    expect(auditCoverageProblems(t.app, { ...SCENARIOS, ...wrong } as Record<string, Scenario>)).toEqual([
      'module gadgets: POST /api/v1/gadgets/ping writes "gadgets.pong", not in its audit list',
    ]);
    expect(auditCoverageProblems(t.app, { ...SCENARIOS, ...GADGET_SCENARIO })).toEqual([]);
    const checked = await runAuditScenarios(t, { ...SCENARIOS, ...GADGET_SCENARIO }, [
      'POST /api/v1/setup',
      'POST /api/v1/gadgets/ping',
    ]);
    expect(checked).toBe(2);
  });

  it('is found by the route × principal matrix', { timeout: 120_000 }, async () => {
    expect(matrixRoutes(t.app).find((r) => r.key === 'POST /api/v1/gadgets/ping')).toMatchObject({
      module: 'gadgets',
      guard: 'inventory.add',
      resource: 'gadget',
    });
    const { t: m, admin } = await createBusinessApp(engine, 'stores', { extraModules: [gadgets] });
    try {
      const principals: Principal[] = [anonymous];
      for (const role of ['user', 'superuser']) {
        const s = await createStaff(m.app, admin, role);
        principals.push(
          sessionPrincipal(m, role, s.session, (p, r) => outcomeOf(roleLevel('stores', role, p), false, r)),
        );
      }
      await runMatrix(m, principals, TEMPLATES.stores.modules);
    } finally {
      await m.close();
    }
    // The oracle expected the User to be refused and the Superuser to pass on the new route.
    expect(outcomeOf(roleLevel('stores', 'user', 'inventory.add'), false, 'gadget')).toBe('forbidden');
    expect(outcomeOf(roleLevel('stores', 'superuser', 'inventory.add'), false, 'gadget')).toBe('pass');
  });

  it('is found in OpenAPI, tagged with its module', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const op = doc.paths['/api/v1/gadgets/ping'].post;
    expect(op.tags).toEqual(['gadgets']);
    expect(op['x-permission']).toBe('inventory.add');
    expect(doc.tags).toContainEqual({ name: 'gadgets', description: 'Throw-away gadgets' });
    // Every operation carries exactly one tag, of a module the document lists.
    const tags = new Set((doc.tags as { name: string }[]).map((x) => x.name));
    const untagged = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([, o]) => o.tags?.length !== 1 || !tags.has(o.tags[0] as string))
          .map(([m]) => `${m} ${path}`),
    );
    expect(untagged).toEqual([]);
  });
});
