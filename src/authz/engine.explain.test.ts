import { describe, expect, it } from 'vitest';
import { Authz, RoleGraphError } from './engine.ts';
import type { Override, RoleDef, Subject } from './types.ts';

/**
 * The exact words a person reads on the permissions page ("why?"), written out by hand for each
 * kind of decision, and the role-graph errors an admin sees. The decision codes themselves are
 * checked against an independent model in engine.property.test.ts.
 */
const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = 86_400_000;
const PERMS = ['a.view', 'b.view', 'b.delete', 'c.manage'];
const ROLES: RoleDef[] = [
  { key: 'base', name: 'Base', inherits: [], entries: { 'a.view': 'allow', 'c.manage': 'elevated' } },
  { key: 'mid', name: 'Mid', inherits: ['base'], entries: { 'b.view': 'own' } },
  { key: 'top', name: 'Top', inherits: ['mid'], entries: { 'a.view': 'allow' } },
];
const engine = new Authz({ permissions: PERMS, roles: ROLES, now: () => NOW });

function who(roles: string[], extra: Partial<Subject> = {}): Subject {
  return { id: 'u1', active: true, roles, overrides: [], elevatedUntil: null, ownerIds: ['u1'], ...extra };
}
function entry(permission: string, effect: 'grant' | 'deny', extra: Partial<Override> = {}): Override {
  return { permission, effect, scope: 'any', expiresAt: null, ...extra };
}
const mine = { ownerId: 'u1' };
const theirs = { ownerId: 'x' };

describe('explanations, word for word', () => {
  it.each([
    [
      'a deactivated account',
      who(['top'], { active: false }),
      'a.view',
      undefined,
      'inactive',
      'Denied: the account is deactivated.',
      [],
    ],
    [
      'a permission outside the API key',
      who(['top'], { limitTo: new Set(['b.view']) }),
      'a.view',
      undefined,
      'outside-key-scope',
      'Denied: the API key in use is not allowed this permission.',
      [],
    ],
    [
      'a role held directly',
      who(['top']),
      'a.view',
      undefined,
      'granted-by-role',
      'Granted by role Top.',
      ['The role Top grants.'],
    ],
    [
      'a role inherited',
      who(['mid']),
      'a.view',
      undefined,
      'granted-by-role',
      'Granted by role Mid (inherited from Base).',
      ['The role Mid (inherited from Base) grants.'],
    ],
    [
      'own records, no record',
      who(['mid']),
      'b.view',
      undefined,
      'only-own',
      'Only own records.',
      ['The role Mid grants on own records.'],
    ],
    [
      'own records, their own',
      who(['mid']),
      'b.view',
      mine,
      'granted-own',
      'Granted on own records; this record is theirs.',
      ['The role Mid grants on own records.'],
    ],
    [
      'own records, someone else’s',
      who(['mid']),
      'b.view',
      theirs,
      'only-own',
      'Denied: only own records, and this record is not theirs.',
      ['The role Mid grants on own records.'],
    ],
    [
      'the master code, not entered',
      who(['mid']),
      'c.manage',
      undefined,
      'needs-elevation',
      'Needs the master code.',
      ['The role Mid (inherited from Base) grants with the master code.'],
    ],
    [
      'the master code, entered',
      who(['mid'], { elevatedUntil: NOW + 1000 }),
      'c.manage',
      undefined,
      'granted-elevated',
      'Granted while elevated by the master code (role Mid (inherited from Base)).',
      ['The role Mid (inherited from Base) grants with the master code.'],
    ],
    [
      'the master code, through an API key',
      who(['mid'], { limitTo: new Set(['c.manage']), elevatedUntil: NOW + 1000 }),
      'c.manage',
      undefined,
      'needs-elevation',
      'Denied: needs the master code, which API keys cannot use.',
      ['The role Mid (inherited from Base) grants with the master code.'],
    ],
    [
      'an own grant beside a master-code role, on someone else’s record',
      who(['base'], {
        overrides: [
          entry('c.manage', 'grant', {
            scope: 'own',
            byName: 'Ana',
            at: NOW - DAY,
            reason: 'cover',
            expiresAt: NOW + DAY,
          }),
        ],
      }),
      'c.manage',
      theirs,
      'only-own',
      'Denied: only own records, and this record is not theirs.',
      [
        'The role Base grants with the master code.',
        'Granted explicitly by Ana on 2026-11-22: cover on own records until 2026-11-24.',
        'Needs the master code for records of others.',
      ],
    ],
    [
      'a bare grant with an end date',
      who([], {
        overrides: [entry('b.delete', 'grant', { expiresAt: NOW + DAY, at: null, byName: null, reason: null })],
      }),
      'b.delete',
      undefined,
      'granted-explicitly',
      'Granted explicitly until 2026-11-24.',
      [],
    ],
    [
      'a grant beside a role that also grants',
      who(['base'], { overrides: [entry('a.view', 'grant', { byName: 'Ana' })] }),
      'a.view',
      undefined,
      'granted-explicitly',
      'Granted explicitly by Ana.',
      ['The role Base grants.'],
    ],
    [
      'an own grant beside a role that grants everything',
      who(['base'], { overrides: [entry('a.view', 'grant', { scope: 'own' })] }),
      'a.view',
      theirs,
      'granted-by-role',
      'Granted by role Base.',
      ['The role Base grants.', 'Granted explicitly on own records.'],
    ],
    [
      'a deny after an expired grant',
      who(['top'], {
        overrides: [
          entry('a.view', 'grant', { expiresAt: NOW - DAY }),
          entry('a.view', 'deny', { byName: 'Bo', at: NOW - 2 * DAY, reason: 'audit' }),
        ],
      }),
      'a.view',
      undefined,
      'denied-explicitly',
      'Denied explicitly by Bo on 2026-11-21: audit.',
      ['Grant expired on 2026-11-22.'],
    ],
    [
      'an expired deny and nothing else',
      who([], { overrides: [entry('b.delete', 'deny', { expiresAt: NOW - DAY })] }),
      'b.delete',
      undefined,
      'not-granted',
      'Not granted: no role or explicit grant gives this permission.',
      ['Deny expired on 2026-11-22.'],
    ],
  ] as const)('%s', (_name, subject, permission, resource, code, summary, more) => {
    const e = engine.explain(subject, permission, resource);
    expect(e.code).toBe(code);
    expect(e.summary).toBe(summary);
    expect(e.reasons).toEqual([summary, ...more]);
    expect(e.permission).toBe(permission);
  });

  it('ignores a role on the account that no longer exists', () => {
    expect(engine.can(who(['ghost']), 'a.view')).toBe(false);
    expect(engine.access(who(['ghost']), 'a.view')).toBe('none');
    expect(engine.can(who(['ghost', 'mid']), 'b.view', mine)).toBe(true);
    expect(engine.can(who(['mid', 'ghost']), 'a.view')).toBe(true);
    expect(engine.explain(who(['ghost', 'base']), 'a.view').summary).toBe('Granted by role Base.');
    expect(engine.effectiveOne(who(['ghost']), 'a.view').state).toBe('none');
  });

  it('keeps role combinations apart even when their names run together', () => {
    const e = new Authz({
      permissions: PERMS,
      roles: [
        { key: 'ab', name: 'AB', inherits: [], entries: { 'a.view': 'allow' } },
        { key: 'c', name: 'C', inherits: [], entries: {} },
        { key: 'a', name: 'A', inherits: [], entries: {} },
        { key: 'bc', name: 'BC', inherits: [], entries: {} },
      ],
    });
    expect(e.can(who(['ab', 'c']), 'a.view')).toBe(true);
    expect(e.can(who(['a', 'bc']), 'a.view')).toBe(false);
  });

  it('lists its roles', () => {
    expect(engine.roleDefs().map((r) => r.key)).toEqual(['base', 'mid', 'top']);
    expect(engine.hasRole('mid')).toBe(true);
    expect(engine.hasRole('ghost')).toBe(false);
  });
});

describe('role graph errors, word for word', () => {
  const role = (key: string, inherits: string[], entries: RoleDef['entries'] = {}): RoleDef => ({
    key,
    name: key.toUpperCase(),
    inherits,
    entries,
  });
  const build = (roles: RoleDef[]) => () => new Authz({ permissions: PERMS, roles });

  it('names only the roles in the circle, by name', () => {
    expect(build([role('x', ['a']), role('a', ['b']), role('b', ['c']), role('c', ['a'])])).toThrow(
      new RoleGraphError('Roles cannot inherit in a circle: A → B → C → A.'),
    );
  });
  it('names the role whose parent is missing', () => {
    expect(build([role('x', ['y']), role('y', ['z']), role('z', ['ghost'])])).toThrow(
      new RoleGraphError('Role "z" inherits from "ghost", which does not exist.'),
    );
  });
  it('names an unknown policy', () => {
    expect(build([role('x', [], { 'a.view': 'sometimes' as 'allow' })])).toThrow(
      new RoleGraphError('Role "X" gives "a.view" an unknown policy "sometimes".'),
    );
  });
  it('is a RoleGraphError by name', () => {
    try {
      build([role('x', ['x'])])();
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe('RoleGraphError');
    }
  });
});
