/**
 * Own scope, fail closed, as pure functions: the resource registry, the scope the guard makes of
 * an access, and the checks handlers and repositories apply. Run by `npm run test:mutation`
 * (scope.ts must stay ≥ 90 % killed); the HTTP paths are in test/hardening-own-scope.test.ts.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { defineModule } from '../modules/module.ts';
import { ForbiddenError, HttpError } from './errors.ts';
import {
  inScope,
  isResourceName,
  OwnOnlyError,
  registerResources,
  requireOwner,
  resourceDef,
  resources,
  type Scope,
  scopeFor,
  scopeOf,
  selfScope,
  systemScope,
} from './scope.ts';

/** What a thrown value was, for comparing class, status and fields in one assertion. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const requestWith = (scope: Scope | null | undefined, url = '/api/v1/things/:id') =>
  ({ scope, routeOptions: { url } }) as unknown as FastifyRequest;

describe('the resource registry', () => {
  it('holds every resource the listed modules declare, with its table and owner column', () => {
    const all = resources();
    expect(all.user).toEqual({ table: 'users', owner: 'id' });
    expect(all.api_key).toEqual({ table: 'api_keys', owner: 'user_id' });
    expect(all.audit_event).toEqual({ table: 'audit_events', owner: 'actor_user_id' });
    expect(all.item).toEqual({ table: 'items', owner: null });
    expect(Object.keys(all)).toEqual(
      expect.arrayContaining(['user', 'api_key', 'audit_event', 'audit_chain', 'item', 'settings', 'role']),
    );
    // Read once and kept: the same object until a module adds more.
    expect(resources()).toBe(all);
  });

  it('knows a resource by its own name only, not by inherited object keys or non-strings', () => {
    expect(isResourceName('user')).toBe(true);
    expect(isResourceName('item')).toBe(true);
    expect(isResourceName('ghost')).toBe(false);
    expect(isResourceName('toString')).toBe(false);
    expect(isResourceName('constructor')).toBe(false);
    expect(isResourceName(undefined)).toBe(false);
    expect(isResourceName(null)).toBe(false);
    expect(isResourceName(42)).toBe(false);
    expect(isResourceName({ toString: () => 'user' })).toBe(false);
  });

  it('gives a resource’s definition, and refuses an unknown one naming it', () => {
    expect(resourceDef('user')).toEqual({ table: 'users', owner: 'id' });
    expect(resourceDef('settings')).toEqual({ table: 'settings', owner: null });
    expect(() => resourceDef('ghost')).toThrow('Unknown resource "ghost": declare it in its module\'s resources.');
    expect(() => resourceDef('toString')).toThrow('Unknown resource "toString"');
  });

  it('adds the resources of modules outside the list, keeps identical ones, refuses a conflicting one', () => {
    const before = resources();
    const extra = defineModule({
      key: 'scope-test-extra',
      label: 'Extra',
      resources: {
        scope_test_note: { table: 'api_keys', owner: 'user_id' },
        scope_test_sheet: { table: 'items', owner: null },
      },
    });
    registerResources([extra]);
    const after = resources();
    expect(after).not.toBe(before);
    expect(after.scope_test_note).toEqual({ table: 'api_keys', owner: 'user_id' });
    expect(after.scope_test_sheet).toEqual({ table: 'items', owner: null });
    expect(after.user).toEqual({ table: 'users', owner: 'id' });
    expect(isResourceName('scope_test_note')).toBe(true);
    expect(resourceDef('scope_test_sheet')).toEqual({ table: 'items', owner: null });

    // The same declaration again (an app built twice in one process) is fine and changes nothing.
    registerResources([extra]);
    registerResources([
      defineModule({ key: 'twin', label: 'Twin', resources: { user: { table: 'users', owner: 'id' } } }),
    ]);
    expect(resources()).toEqual(after);

    const differentOwner = defineModule({
      key: 'clash-owner',
      label: 'Clash',
      resources: { user: { table: 'users', owner: null } },
    });
    expect(() => registerResources([differentOwner])).toThrow('The resource "user" is declared twice, differently.');
    const differentTable = defineModule({
      key: 'clash-table',
      label: 'Clash',
      resources: { scope_test_note: { table: 'users', owner: 'user_id' } },
    });
    expect(() => registerResources([differentTable])).toThrow(
      'The resource "scope_test_note" is declared twice, differently.',
    );
    // A refused declaration leaves the one in force.
    expect(resources().user).toEqual({ table: 'users', owner: 'id' });
    expect(resources().scope_test_note).toEqual({ table: 'api_keys', owner: 'user_id' });
  });
});

describe('scopeFor: the scope a route’s access gives', () => {
  it('keeps `all` as every record of the route’s resource, and nothing to scope without one', () => {
    expect(scopeFor('inventory.view', 'item', 'all', ['u1'])).toEqual({ kind: 'all', resource: 'item' });
    expect(scopeFor('users.view', 'user', 'all', ['u1'])).toEqual({ kind: 'all', resource: 'user' });
    expect(scopeFor('inventory.view', undefined, 'all', ['u1'])).toBeNull();
  });

  it('turns `own` into the owner filter of an owned resource, on a copy of the owner ids', () => {
    const ownerIds = ['u1', 'artist-7'];
    const scope = scopeFor('users.view', 'user', 'own', ownerIds);
    expect(scope).toEqual({ kind: 'own', ownerIds: ['u1', 'artist-7'], resource: 'user' });
    expect(scope?.kind === 'own' && scope.ownerIds).not.toBe(ownerIds);
    ownerIds.push('late');
    expect(scope?.kind === 'own' && scope.ownerIds).toEqual(['u1', 'artist-7']);
  });

  it('refuses `own` on a resource without an owner (fail closed), naming permission and resource', () => {
    const e = caught(() => scopeFor('inventory.edit', 'stock_count', 'own', ['u1']));
    expect(e).toBeInstanceOf(OwnOnlyError);
    expect(e).toBeInstanceOf(HttpError);
    expect(e).toMatchObject({
      status: 403,
      slug: 'own-only',
      title: 'Only your own records',
      message: 'Your “Edit items” access covers only your own records; stock count records have no owner.',
      extra: { permission: 'inventory.edit', resource: 'stock_count' },
    });
  });

  it('refuses `own` on a route that names no resource', () => {
    const e = caught(() => scopeFor('settings.edit', undefined, 'own', ['u1']));
    expect(e).toBeInstanceOf(OwnOnlyError);
    expect(e).toMatchObject({
      status: 403,
      slug: 'own-only',
      message:
        'Your “Edit settings” access covers only your own records, and this action names no resource that has an owner.',
      extra: { permission: 'settings.edit', resource: null },
    });
  });

  it('says every underscore of the resource name as a space', () => {
    expect(new OwnOnlyError('security.audit', 'audit_chain_part').message).toBe(
      'Your “Read the audit log” access covers only your own records; audit chain part records have no owner.',
    );
  });
});

describe('scopes made outside the guard', () => {
  it('selfScope reaches the actor’s own records of an owned resource, on a copy of the ids', () => {
    const ids = ['u1'];
    const scope = selfScope('api_key', ids);
    expect(scope).toEqual({ kind: 'own', ownerIds: ['u1'], resource: 'api_key' });
    ids.push('u2');
    expect(scope.kind === 'own' && scope.ownerIds).toEqual(['u1']);
  });

  it('systemScope reaches every record', () => {
    expect(systemScope('item')).toEqual({ kind: 'all', resource: 'item' });
  });
});

describe('scopeOf: the route’s scope, as its handler asks for it', () => {
  it('returns the scope of the route’s resource', () => {
    const scope = scopeFor('users.view', 'user', 'own', ['u1']) as Scope;
    expect(scopeOf(requestWith(scope), 'user')).toBe(scope);
  });

  it('refuses a route that has no scope (no permission or no resource declared)', () => {
    for (const missing of [null, undefined]) {
      expect(() => scopeOf(requestWith(missing, '/api/v1/widgets'), 'item')).toThrow(
        'Route /api/v1/widgets has no scope: declare config.permission and config.resource.',
      );
    }
  });

  it('refuses a handler asking for another resource than the route declares', () => {
    expect(() => scopeOf(requestWith(systemScope('item'), '/api/v1/items/:id'), 'user')).toThrow(
      'Route /api/v1/items/:id declares resource "item" but its handler asks for "user".',
    );
  });
});

describe('inScope and requireOwner', () => {
  const own = selfScope('user', ['u1', 'a1']);
  const all = systemScope('user');

  it('an `all` scope reaches every record, even one without an owner', () => {
    for (const owner of ['u1', 'u9', null, undefined]) expect(inScope(all, owner)).toBe(true);
  });

  it('an `own` scope reaches exactly the records owned by one of its ids', () => {
    expect(inScope(own, 'u1')).toBe(true);
    expect(inScope(own, 'a1')).toBe(true);
    expect(inScope(own, 'u9')).toBe(false);
    expect(inScope(own, null)).toBe(false);
    expect(inScope(own, undefined)).toBe(false);
    expect(inScope(own, '')).toBe(false);
  });

  it('an `own` scope without ids reaches nothing, not even records without an owner', () => {
    const none = selfScope('user', []);
    for (const owner of ['u1', null, undefined]) expect(inScope(none, owner)).toBe(false);
  });

  it('requireOwner lets a record of one’s own be created and refuses anyone else’s with 403', () => {
    expect(() => requireOwner(own, 'u1', 'x')).not.toThrow();
    expect(() => requireOwner(all, 'u9', 'x')).not.toThrow();
    expect(() => requireOwner(all, null, 'x')).not.toThrow();
    for (const owner of ['u9', null]) {
      const e = caught(() => requireOwner(own, owner, 'you may create keys only for yourself'));
      expect(e).toBeInstanceOf(ForbiddenError);
      expect(e).toMatchObject({
        status: 403,
        message: 'Your access covers only your own records; you may create keys only for yourself.',
        extra: { resource: 'user' },
      });
    }
  });
});
