import { describe, expect, it } from 'vitest';
import { PERMISSION_KEYS, PERMISSIONS } from '../shared/permissions/catalog.ts';
import { TEMPLATES } from '../shared/permissions/templates.ts';
import { Authz, RoleGraphError } from './engine.ts';
import type { Override, RoleDef, Subject } from './types.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = 86_400_000;

function engine(template: 'studio' | 'stores', now = NOW): Authz {
  return new Authz({ permissions: PERMISSION_KEYS, roles: TEMPLATES[template].roles, now: () => now });
}

function subject(roles: string[], extra: Partial<Subject> = {}): Subject {
  return { id: 'u1', active: true, roles, overrides: [], elevatedUntil: null, ownerIds: ['u1'], ...extra };
}

function override(permission: string, effect: 'grant' | 'deny', extra: Partial<Override> = {}): Override {
  return { permission, effect, scope: 'any', expiresAt: null, ...extra };
}

describe('catalog', () => {
  it('holds every permission of product.md once, each with label, description, area and risk', () => {
    expect(new Set(PERMISSION_KEYS).size).toBe(PERMISSION_KEYS.length);
    for (const p of PERMISSIONS) {
      expect(p.key).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(p.label.length).toBeGreaterThan(3);
      expect(p.description.length).toBeGreaterThan(10);
      expect(['normal', 'sensitive', 'critical']).toContain(p.risk);
    }
    const critical = PERMISSIONS.filter((p) => p.risk === 'critical').map((p) => p.key);
    expect(critical.sort()).toEqual(
      ['backup.restore', 'migration.execute', 'settings.edit', 'users.delete', 'users.manage_permissions'].sort(),
    );
    for (const needed of [
      'inventory.count',
      'orders.upload_invoice',
      'clients.consent',
      'agenda.no_show',
      'security.rotate_code',
    ]) {
      expect(PERMISSION_KEYS).toContain(needed);
    }
  });
});

describe('stores template', () => {
  const e = engine('stores');
  it('gives User the daily-operations set and nothing else', () => {
    const allowed = PERMISSION_KEYS.filter((p) => e.can(subject(['user']), p));
    expect(allowed.sort()).toEqual(
      [
        'inventory.view',
        'categories.view',
        'suppliers.view',
        'sales.view',
        'sales.create',
        'quotes.view',
        'quotes.create',
        'quotes.edit',
        'orders.view',
        'reports.view',
        'settings.view',
      ].sort(),
    );
  });
  it('lets Superuser inherit User and add management permissions, but not users or backups', () => {
    const su = subject(['superuser']);
    expect(e.can(su, 'quotes.create')).toBe(true);
    expect(e.can(su, 'suppliers.delete')).toBe(true);
    expect(e.can(su, 'users.assign_chargecode')).toBe(true);
    expect(e.can(su, 'users.add')).toBe(false);
    expect(e.can(su, 'backup.create')).toBe(false);
    expect(e.can(su, 'inventory.delete')).toBe(false);
  });
  it('gives Admin every permission', () => {
    expect(PERMISSION_KEYS.every((p) => e.can(subject(['admin']), p))).toBe(true);
  });
});

describe('studio template', () => {
  const e = engine('studio');
  it('locks an assistant’s sensitive actions behind the master code', () => {
    const a = subject(['assistant']);
    expect(e.can(a, 'clients.view')).toBe(true);
    expect(e.can(a, 'clients.edit')).toBe(false);
    expect(e.access(a, 'clients.edit')).toBe('elevation-required');
    expect(e.access(a, 'users.view')).toBe('none');
    const elevated = subject(['assistant'], { elevatedUntil: NOW + 60_000 });
    expect(e.can(elevated, 'clients.edit')).toBe(true);
    expect(e.can(elevated, 'sales.refund')).toBe(true);
    expect(e.can(elevated, 'users.add')).toBe(false);
  });
  it('limits an artist to their own appointments, notes and portfolio', () => {
    const artist = subject(['artist'], { ownerIds: ['u1', 'artist-7'] });
    expect(e.can(artist, 'agenda.view')).toBe(true);
    expect(e.access(artist, 'agenda.edit')).toBe('own');
    expect(e.can(artist, 'agenda.edit')).toBe(false);
    expect(e.can(artist, 'agenda.edit', { ownerId: 'artist-7' })).toBe(true);
    expect(e.can(artist, 'agenda.edit', { ownerId: 'artist-8' })).toBe(false);
    expect(e.can(artist, 'portfolio.upload', { ownerId: 'u1' })).toBe(true);
    expect(e.can(artist, 'clients.edit', { ownerId: 'artist-7' })).toBe(false);
  });
});

describe('decisions', () => {
  const e = engine('stores');
  it('denies everything to a deactivated user', () => {
    expect(e.can(subject(['admin'], { active: false }), 'inventory.view')).toBe(false);
    expect(e.explain(subject(['admin'], { active: false }), 'inventory.view').code).toBe('inactive');
  });
  it('lets an explicit deny win over role and grant', () => {
    const s = subject(['admin'], {
      overrides: [override('inventory.view', 'deny'), override('inventory.view', 'grant')],
    });
    expect(e.can(s, 'inventory.view')).toBe(false);
  });
  it('allows through an unexpired grant and stops at its expiry', () => {
    const grant = override('backup.view', 'grant', { expiresAt: NOW + DAY });
    expect(e.can(subject(['user'], { overrides: [grant] }), 'backup.view')).toBe(true);
    const later = engine('stores', NOW + DAY);
    expect(later.can(subject(['user'], { overrides: [grant] }), 'backup.view')).toBe(false);
  });
  it('applies an own-scoped grant only to own resources', () => {
    const s = subject(['user'], { overrides: [override('orders.create', 'grant', { scope: 'own' })] });
    expect(e.can(s, 'orders.create', { ownerId: 'u1' })).toBe(true);
    expect(e.can(s, 'orders.create', { ownerId: 'u2' })).toBe(false);
    expect(e.can(s, 'orders.create')).toBe(false);
  });
  it('ends elevation at its expiry, to the millisecond', () => {
    const studio = engine('studio');
    expect(studio.can(subject(['assistant'], { elevatedUntil: NOW + 1 }), 'cash.close')).toBe(true);
    expect(studio.can(subject(['assistant'], { elevatedUntil: NOW }), 'cash.close')).toBe(false);
  });
  it('never elevates an API key and refuses permissions outside its scope', () => {
    const studio = engine('studio');
    const key = subject(['assistant'], {
      elevatedUntil: NOW + 60_000,
      limitTo: new Set(['cash.close', 'clients.view']),
    });
    expect(studio.can(key, 'cash.close')).toBe(false);
    expect(studio.can(key, 'clients.view')).toBe(true);
    expect(studio.can(key, 'agenda.view')).toBe(false);
  });
  it('throws on a permission that is not in the catalog', () => {
    expect(() => e.can(subject(['user']), 'inventory.fly')).toThrow(/Unknown permission/);
  });
});

describe('role graphs', () => {
  const role = (key: string, inherits: string[], entries: RoleDef['entries'] = {}): RoleDef => ({
    key,
    name: key.toUpperCase(),
    inherits,
    entries,
  });
  it('refuses a cycle, naming it', () => {
    expect(
      () => new Authz({ permissions: PERMISSION_KEYS, roles: [role('a', ['b']), role('b', ['c']), role('c', ['a'])] }),
    ).toThrow(new RoleGraphError('Roles cannot inherit in a circle: A → B → C → A.'));
    expect(() => new Authz({ permissions: PERMISSION_KEYS, roles: [role('a', ['a'])] })).toThrow(/circle: A → A/);
  });
  it('refuses an unknown parent, an unknown permission and a duplicate role', () => {
    expect(() => new Authz({ permissions: PERMISSION_KEYS, roles: [role('a', ['ghost'])] })).toThrow(
      /"ghost", which does not exist/,
    );
    expect(() => new Authz({ permissions: PERMISSION_KEYS, roles: [role('a', [], { 'x.y': 'allow' })] })).toThrow(
      /unknown permission "x.y"/,
    );
    expect(() => new Authz({ permissions: PERMISSION_KEYS, roles: [role('a', []), role('a', [])] })).toThrow(/twice/);
  });
  it('unions policies across inheritance: own below, elevated above', () => {
    const e = new Authz({
      permissions: PERMISSION_KEYS,
      roles: [role('base', [], { 'agenda.edit': 'own' }), role('lead', ['base'], { 'agenda.edit': 'elevated' })],
      now: () => NOW,
    });
    const lead = subject(['lead']);
    expect(e.can(lead, 'agenda.edit', { ownerId: 'u1' })).toBe(true);
    expect(e.can(lead, 'agenda.edit', { ownerId: 'u2' })).toBe(false);
    expect(e.can({ ...lead, elevatedUntil: NOW + 1000 }, 'agenda.edit', { ownerId: 'u2' })).toBe(true);
  });
});

describe('explain', () => {
  const e = engine('stores');
  it('names the role and where it inherited from', () => {
    expect(e.explain(subject(['superuser']), 'inventory.view').summary).toBe(
      'Granted by role Superuser (inherited from User).',
    );
    expect(e.explain(subject(['user']), 'inventory.view').summary).toBe('Granted by role User.');
  });
  it('names who denied, when and why', () => {
    const deny = override('sales.create', 'deny', {
      byName: 'Ana',
      at: Date.parse('2026-11-02T09:00:00Z'),
      reason: 'left the lab',
    });
    const x = e.explain(subject(['user'], { overrides: [deny] }), 'sales.create');
    expect(x.allowed).toBe(false);
    expect(x.summary).toBe('Denied explicitly by Ana on 2026-11-02: left the lab.');
  });
  it('says a grant expired, and when', () => {
    const grant = override('backup.view', 'grant', { expiresAt: NOW - DAY });
    const x = e.explain(subject(['user'], { overrides: [grant] }), 'backup.view');
    expect(x.allowed).toBe(false);
    expect(x.reasons).toContain('Grant expired on 2026-11-22.');
  });
  it('says when the master code is needed, and when only own records count', () => {
    const studio = engine('studio');
    expect(studio.explain(subject(['assistant']), 'sales.refund').summary).toBe('Needs the master code.');
    expect(studio.explain(subject(['artist']), 'agenda.edit').summary).toBe('Only own records.');
    expect(studio.explain(subject(['artist']), 'agenda.edit', { ownerId: 'u1' }).code).toBe('granted-own');
    expect(studio.explain(subject(['artist']), 'users.view').code).toBe('not-granted');
  });
  it('always agrees with can()', () => {
    const studio = engine('studio');
    for (const r of ['admin', 'assistant', 'artist']) {
      for (const p of PERMISSION_KEYS) {
        const s = subject([r], { elevatedUntil: r === 'assistant' ? NOW + 1 : null });
        expect(studio.explain(s, p, { ownerId: 'u1' }).allowed).toBe(studio.can(s, p, { ownerId: 'u1' }));
      }
    }
  });
});

describe('effective permissions', () => {
  const e = engine('stores');
  it('marks explicit grants, inherited, denied and empty permissions with their provenance', () => {
    const s = subject(['superuser'], {
      overrides: [override('reports.export', 'deny'), override('backup.view', 'grant', { expiresAt: NOW + DAY })],
    });
    const byKey = new Map(e.effective(s).map((x) => [x.permission, x]));
    expect(byKey.size).toBe(PERMISSION_KEYS.length);
    expect(byKey.get('backup.view')).toMatchObject({ state: 'grant', access: 'all' });
    expect(byKey.get('backup.view')?.override?.expiresAt).toBe(NOW + DAY);
    expect(byKey.get('reports.export')).toMatchObject({ state: 'deny', access: 'none' });
    expect(byKey.get('inventory.view')).toMatchObject({
      state: 'inherited',
      access: 'all',
      role: { key: 'user', name: 'User', via: ['superuser', 'user'] },
    });
    expect(byKey.get('inventory.add')?.role?.via).toEqual(['superuser']);
    expect(byKey.get('users.add')).toMatchObject({ state: 'none', access: 'none', role: null });
  });
  it('shows elevation and own-only access for the studio roles', () => {
    const studio = engine('studio');
    const assistant = new Map(studio.effective(subject(['assistant'])).map((x) => [x.permission, x]));
    expect(assistant.get('clients.edit')).toMatchObject({
      state: 'inherited',
      access: 'elevation-required',
      elevatable: true,
    });
    const artist = new Map(studio.effective(subject(['artist'])).map((x) => [x.permission, x]));
    expect(artist.get('agenda.edit')).toMatchObject({ access: 'own', policy: 'own' });
  });
});
