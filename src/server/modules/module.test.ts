/**
 * The pure parts of module definitions: the start-up check for `own` access on resources without
 * an owner, the union of the modules' resources, and the defaults of `defineModule`. Run by
 * `npm run test:mutation` too (every mutant of module.ts must be killed here).
 */
import { describe, expect, it } from 'vitest';
import type { RoleTemplate } from '../../shared/permissions/templates.ts';
import { defineModule, ModuleError, ownOnOwnerlessProblems, refuseOwnOnOwnerless, resourcesOf } from './module.ts';

const role = (key: string, entries: Record<string, 'allow' | 'own' | 'elevated'>): RoleTemplate => ({
  key,
  name: key,
  description: '',
  inherits: [],
  entries,
});
const route = (permission: string | null, resource: string | null, method = 'POST', url = '/api/v1/things') => ({
  method,
  url,
  permission,
  resource,
});
const RESOURCES = { thing: { table: 'items', owner: null }, mine: { table: 'users', owner: 'id' } } as const;
const TEMPLATES = [
  { template: 'studio', roles: [role('artist', { 'reports.view': 'own', 'sales.view': 'allow' }), role('desk', {})] },
  { template: 'stores', roles: [role('user', { 'reports.view': 'own', 'quotes.view': 'elevated' })] },
];

describe('ownOnOwnerlessProblems', () => {
  it('names the route, the permission, every role giving it as own, and the ownerless resource', () => {
    expect(ownOnOwnerlessProblems([route('reports.view', 'thing')], RESOURCES, TEMPLATES)).toEqual([
      'POST /api/v1/things: permission "reports.view" is given as own records only (studio/artist, stores/user), but the route acts on "thing", which has no owner',
    ]);
  });

  it('refuses a route that names no resource', () => {
    expect(ownOnOwnerlessProblems([route('reports.view', null, 'GET', '/x')], RESOURCES, TEMPLATES)).toEqual([
      'GET /x: permission "reports.view" is given as own records only (studio/artist, stores/user), but the route names no resource',
    ]);
  });

  it('refuses a resource the registry does not know (it has no owner column to filter by)', () => {
    expect(ownOnOwnerlessProblems([route('reports.view', 'ghost')], RESOURCES, TEMPLATES)).toHaveLength(1);
  });

  it('accepts an owned resource, allow and elevated entries, and routes without a permission', () => {
    expect(
      ownOnOwnerlessProblems(
        [route('reports.view', 'mine'), route('sales.view', 'thing'), route('quotes.view', null), route(null, null)],
        RESOURCES,
        TEMPLATES,
      ),
    ).toEqual([]);
  });

  it('lists one problem per offending route, in order', () => {
    const problems = ownOnOwnerlessProblems(
      [
        route('reports.view', 'thing', 'GET', '/a'),
        route('sales.view', 'thing'),
        route('reports.view', null, 'GET', '/b'),
      ],
      RESOURCES,
      [TEMPLATES[0] as (typeof TEMPLATES)[number]],
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(['GET /a', 'GET /b']);
    expect(problems.every((p) => p.includes('(studio/artist)'))).toBe(true);
  });
});

describe('refuseOwnOnOwnerless: the start-up check', () => {
  const guarded = (guard: string, resource: string | null, method = 'GET', url = '/api/v1/things') => ({
    method,
    url,
    guard,
    resource,
  });

  it('stops the server, naming every route, its permission, the roles and the ownerless resource', () => {
    const routes = [guarded('reports.view', 'thing', 'GET', '/a'), guarded('reports.view', null, 'POST', '/b')];
    const error = (() => {
      try {
        refuseOwnOnOwnerless(routes, RESOURCES, TEMPLATES);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ModuleError);
    expect((error as Error).message).toBe(
      [
        'Refusing to start: own access on a resource without an owner.',
        '  GET /a: permission "reports.view" is given as own records only (studio/artist, stores/user), but the route acts on "thing", which has no owner',
        '  POST /b: permission "reports.view" is given as own records only (studio/artist, stores/user), but the route names no resource',
      ].join('\n'),
    );
  });

  it('lets the server start when every own-given permission acts on an owned resource', () => {
    expect(() =>
      refuseOwnOnOwnerless(
        [guarded('reports.view', 'mine'), guarded('sales.view', 'thing'), guarded('inventory.view', null)],
        RESOURCES,
        TEMPLATES,
      ),
    ).not.toThrow();
    expect(() => refuseOwnOnOwnerless([], RESOURCES, TEMPLATES)).not.toThrow();
  });

  it('reads public and authenticated routes as having no permission, whatever a role names', () => {
    // A role entry under the name of a guard kind would be found if those were read as permissions.
    const odd = [{ template: 'odd', roles: [role('r', { public: 'own', authenticated: 'own' })] }];
    expect(() =>
      refuseOwnOnOwnerless([guarded('public', 'thing'), guarded('authenticated', null)], RESOURCES, odd),
    ).not.toThrow();
    expect(() => refuseOwnOnOwnerless([guarded('reports.view', 'thing')], RESOURCES, odd)).not.toThrow();
  });
});

describe('resourcesOf', () => {
  const a = defineModule({ key: 'a', label: 'A', resources: { thing: { table: 'items', owner: null } } });
  const b = defineModule({ key: 'b', label: 'B', resources: { mine: { table: 'users', owner: 'id' } } });

  it('merges every module’s resources', () => {
    expect(resourcesOf([a, b])).toEqual({
      thing: { table: 'items', owner: null },
      mine: { table: 'users', owner: 'id' },
    });
  });

  it('refuses a resource two modules declare, naming both', () => {
    const c = defineModule({ key: 'c', label: 'C', resources: { thing: { table: 'items', owner: null } } });
    expect(() => resourcesOf([a, b, c])).toThrow(
      new ModuleError('Modules "a" and "c" both declare the resource "thing".'),
    );
    const error = (() => {
      try {
        resourcesOf([a, c]);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error?.name).toBe('ModuleError');
  });
});

describe('defineModule', () => {
  it('fills what a module leaves out: the /api/v1 prefix, no resources, services, routes, settings, audit or web', () => {
    const m = defineModule({ key: 'bare', label: 'Bare' });
    expect({ ...m, services: m.services({} as never, {} as never) }).toEqual({
      key: 'bare',
      label: 'Bare',
      prefix: '/api/v1',
      resources: {},
      uses: [],
      services: {},
      routes: null,
      settings: {},
      audit: [],
      web: {},
    });
  });

  it('keeps what a module declares', () => {
    const routes = async () => undefined;
    const m = defineModule({
      key: 'full',
      label: 'Full',
      prefix: '',
      resources: { thing: { table: 'items', owner: null } },
      services: () => ({ things: 1 }),
      routes,
      audit: ['things.create'],
      web: { nav: [{ business: 'things', path: '/things' }] },
    });
    expect(m.prefix).toBe('');
    expect(m.services({} as never, {} as never)).toEqual({ things: 1 });
    expect(m.routes).toBe(routes);
    expect(m.audit).toEqual(['things.create']);
    expect(m.web.nav?.[0]?.path).toBe('/things');
  });
});
