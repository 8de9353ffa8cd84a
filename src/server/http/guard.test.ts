import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.ts';
import { routeDeclarationProblem } from './guard.ts';

describe('routeDeclarationProblem', () => {
  it('accepts exactly one of permission, authenticated or public', () => {
    expect(routeDeclarationProblem({ permission: 'inventory.view' })).toBeNull();
    expect(routeDeclarationProblem({ public: true })).toBeNull();
    expect(routeDeclarationProblem({ authenticated: true })).toBeNull();
  });
  it('refuses a route with no declaration, two declarations or an unknown permission', () => {
    expect(routeDeclarationProblem(undefined)).toMatch(/declares neither/);
    expect(routeDeclarationProblem({ public: false })).toMatch(/declares neither/);
    expect(routeDeclarationProblem({ public: true, permission: 'inventory.view' })).toMatch(/more than one/);
    // @ts-expect-error: the Permission type refuses it already; the run-time check covers computed names
    expect(routeDeclarationProblem({ permission: 'inventory.fly' })).toMatch(/not in the permission catalog/);
  });
});

describe('the app refuses to start with an unguarded route', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => {});
    t = undefined;
  });

  it('fails at startup naming the route that declares nothing', async () => {
    await expect(
      createTestApp('sqlite', {
        extraRoutes: (api) => {
          api.get('/forgotten', async () => 'oops');
        },
      }),
    ).rejects.toThrow(/Refusing to start.*\n.*GET \/api\/v1\/forgotten declares neither/);
  });

  it('fails at startup on a permission that is not in the catalog', async () => {
    await expect(
      createTestApp('sqlite', {
        extraRoutes: (api) => {
          // @ts-expect-error: a misspelt permission fails the type-check; this proves start-up refuses it too
          api.get('/typo', { config: { permission: 'inventroy.view' } }, async () => 'oops');
        },
      }),
    ).rejects.toThrow(/GET \/api\/v1\/typo names "inventroy.view"/);
  });

  it('starts when every route is declared, and every registered route is', async () => {
    t = await createTestApp('sqlite', {
      extraRoutes: (api) => {
        api.get('/declared', { config: { permission: 'inventory.view' } }, async () => 'ok');
      },
    });
    const routes = t.app.printRoutes({ commonPrefix: false });
    expect(routes).toContain('declared');
  });
});
