import { describe, expect, it } from 'vitest';
import { Authz } from './engine.ts';
import type { Override, RoleDef, Subject } from './types.ts';

/**
 * Prerequisites (issue 19, "export without view"): a permission whose prerequisite is not held is
 * never in effect, whatever role or grant gives it; the explanation says which one is missing.
 */
const NOW = Date.parse('2026-12-02T12:00:00Z');
const PERMS = ['a.view', 'a.export', 'a.edit', 'b.view', 'c.manage'] as const;
type P = (typeof PERMS)[number];
const ROLES: RoleDef[] = [
  { key: 'both', name: 'Both', inherits: [], entries: { 'a.view': 'allow', 'a.export': 'allow' } },
  { key: 'exporter', name: 'Exporter', inherits: [], entries: { 'a.export': 'allow', 'c.manage': 'allow' } },
  { key: 'ownview', name: 'Own view', inherits: [], entries: { 'a.view': 'own', 'a.export': 'allow' } },
  { key: 'lockedview', name: 'Locked view', inherits: [], entries: { 'a.view': 'elevated', 'a.export': 'own' } },
];
const LABELS: Record<P, string> = {
  'a.view': 'View A',
  'a.export': 'Export A',
  'a.edit': 'Edit A',
  'b.view': 'View B',
  'c.manage': 'Manage C',
};
const requires = { 'a.export': ['a.view'], 'a.edit': ['a.view'] } as const;
const engine = new Authz<P>({
  permissions: PERMS,
  roles: ROLES,
  now: () => NOW,
  requires,
  labelOf: (p) => LABELS[p],
});

function who(roles: string[], extra: Partial<Subject> = {}): Subject {
  return { id: 'u1', active: true, roles, overrides: [], elevatedUntil: null, ownerIds: ['u1'], ...extra };
}
function entry(permission: P, effect: 'grant' | 'deny', extra: Partial<Override> = {}): Override {
  return { permission, effect, scope: 'any', expiresAt: null, ...extra };
}

describe('prerequisites in the engine', () => {
  it('a role giving export without view gives nothing; other permissions of the role are untouched', () => {
    const s = who(['exporter']);
    expect(engine.can(s, 'a.export')).toBe(false);
    expect(engine.access(s, 'a.export')).toBe('none');
    expect(engine.breadth(s, 'a.export')).toBeNull();
    expect(engine.can(s, 'c.manage')).toBe(true);
    const e = engine.explain(s, 'a.export');
    expect(e.code).toBe('missing-prerequisite');
    expect(e.summary).toBe('Not in effect: “Export A” needs “View A”, which is not held.');
    expect(e.allowed).toBe(false);
    // The page still says where the entry comes from, and that it is not in effect.
    const row = engine.effectiveOne(s, 'a.export');
    expect(row.state).toBe('inherited');
    expect(row.access).toBe('none');
  });

  it('given() reports what roles and grants give before prerequisites: the gap itself', () => {
    expect(engine.given(who(['exporter']), 'a.export')).toBe(true);
    expect(engine.given(who(['exporter']), 'a.view')).toBe(false);
    expect(engine.given(who(['exporter'], { active: false }), 'a.export')).toBe(false);
    expect(engine.given(who(['exporter'], { overrides: [entry('a.export', 'deny')] }), 'a.export')).toBe(false);
    expect(engine.given(who(['exporter'], { limitTo: new Set(['a.view']) }), 'a.export')).toBe(false);
  });

  it('a deny of view takes export with it; lifting the deny gives it back', () => {
    const denied = who(['both'], { overrides: [entry('a.view', 'deny')] });
    expect(engine.can(denied, 'a.export')).toBe(false);
    expect(engine.explain(denied, 'a.export').code).toBe('missing-prerequisite');
    expect(engine.can(who(['both']), 'a.export')).toBe(true);
    expect(engine.explain(who(['both']), 'a.export').code).toBe('granted-by-role');
  });

  it('a grant of view that expires takes export with it; an unexpired one keeps it', () => {
    const grant = (expiresAt: number) => who(['exporter'], { overrides: [entry('a.view', 'grant', { expiresAt })] });
    expect(engine.can(grant(NOW + 1), 'a.export')).toBe(true);
    expect(engine.can(grant(NOW), 'a.export')).toBe(false);
  });

  it('a per-user grant of export without view is not in effect either', () => {
    const s = who([], { overrides: [entry('a.export', 'grant')] });
    expect(engine.can(s, 'a.export')).toBe(false);
    expect(engine.explain(s, 'a.export').code).toBe('missing-prerequisite');
    const withView = who([], { overrides: [entry('a.export', 'grant'), entry('a.view', 'grant', { scope: 'own' })] });
    expect(engine.can(withView, 'a.export')).toBe(true);
  });

  it('any breadth of the prerequisite counts: own records, or behind the master code', () => {
    expect(engine.access(who(['ownview']), 'a.export')).toBe('all');
    const locked = who(['lockedview']);
    expect(engine.access(locked, 'a.export')).toBe('own');
    expect(engine.can(locked, 'a.export', { ownerId: 'u1' })).toBe(true);
    expect(engine.breadth(locked, 'a.export')).toEqual({ allow: false, own: true, elevated: false });
  });

  it('an API key need not list the prerequisite, but its user must hold it', () => {
    const key = new Set(['a.export']);
    expect(engine.can(who(['both'], { limitTo: key }), 'a.export')).toBe(true);
    expect(engine.can(who(['both'], { limitTo: key }), 'a.view')).toBe(false);
    expect(engine.can(who(['exporter'], { limitTo: key }), 'a.export')).toBe(false);
    expect(engine.explain(who(['exporter'], { limitTo: key }), 'a.export').code).toBe('missing-prerequisite');
    expect(engine.can(who(['both'], { limitTo: new Set(['a.view']) }), 'a.export')).toBe(false);
  });

  it('deny, deactivation and "not granted" explain before a missing prerequisite', () => {
    const s = who(['exporter'], { overrides: [entry('a.export', 'deny')] });
    expect(engine.explain(s, 'a.export').code).toBe('denied-explicitly');
    expect(engine.explain(who(['exporter'], { active: false }), 'a.export').code).toBe('inactive');
    expect(engine.explain(who([]), 'a.edit').code).toBe('not-granted');
  });

  it('without prerequisites the engine behaves as before; labels default to keys', () => {
    const plain = new Authz<P>({ permissions: PERMS, roles: ROLES, now: () => NOW });
    expect(plain.can(who(['exporter']), 'a.export')).toBe(true);
    const keys = new Authz<P>({ permissions: PERMS, roles: ROLES, now: () => NOW, requires });
    expect(keys.explain(who(['exporter']), 'a.export').summary).toBe(
      'Not in effect: “a.export” needs “a.view”, which is not held.',
    );
  });

  it('refuses chained or unknown prerequisites', () => {
    expect(
      () => new Authz<P>({ permissions: PERMS, roles: [], requires: { 'a.export': ['a.view'], 'a.view': ['b.view'] } }),
    ).toThrow(/one level only/);
    expect(() => new Authz<string>({ permissions: PERMS, roles: [], requires: { 'a.export': ['x.view'] } })).toThrow(
      /Unknown permission "x.view"/,
    );
    expect(() => new Authz<string>({ permissions: PERMS, roles: [], requires: { 'x.export': ['a.view'] } })).toThrow(
      /Unknown permission "x.export"/,
    );
  });
});
