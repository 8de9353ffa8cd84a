/**
 * Permissions that only make sense with another one (issue 19: "export without view"). Declared
 * once here; the engine enforces them (a dependent permission is never in effect without its
 * prerequisite), the server refuses changes that would open such a gap, and the web editors warn
 * with the same rule before saving.
 *
 * The rule for this catalog: in every area that has a `view` permission, each other action of the
 * area needs `<area>.view` — you cannot export, edit, delete, receive, refund… what you may not
 * see. Areas without `view` (security, system, migration) have no prerequisites, and neither has
 * `backup`: backups are made and restored from the server's shell (`steward` CLI) in this build,
 * with no backup list in the app to view, so "restore without view" is not a gap there.
 */
import { AREAS, PERMISSIONS, type Permission, permissionDef } from './catalog.ts';

/** Areas whose `view` the other actions do not need (see above). */
const INDEPENDENT: ReadonlySet<string> = new Set(['backup']);

function build(): Readonly<Partial<Record<Permission, readonly Permission[]>>> {
  const out: Partial<Record<Permission, readonly Permission[]>> = {};
  for (const area of AREAS) {
    if (INDEPENDENT.has(area.key)) continue;
    const view = `${area.key}.view` as Permission;
    if (!PERMISSIONS.some((p) => p.key === view)) continue;
    for (const p of PERMISSIONS) if (p.area === area.key && p.key !== view) out[p.key] = [view];
  }
  return out;
}

/** Permission → the permissions it needs. Absent: needs nothing. */
export const REQUIRES: Readonly<Partial<Record<Permission, readonly Permission[]>>> = build();

/** What `permission` needs (empty when nothing). */
export function prerequisitesOf(permission: string): readonly Permission[] {
  return REQUIRES[permission as Permission] ?? [];
}

/** The permissions that need `permission` (e.g. for `inventory.view`: add, edit, … export). */
export function dependentsOf(permission: string): Permission[] {
  return (Object.keys(REQUIRES) as Permission[]).filter((p) => REQUIRES[p]?.includes(permission as Permission));
}

/** One dependent permission held without something it needs. */
export type Gap = { readonly permission: Permission; readonly missing: Permission };

/**
 * Every gap in a set of holdings: a permission held (by `holds`) whose prerequisite is not.
 * `holds` answers for any breadth (all records, own records or with the master code).
 */
export function gapsIn(holds: (permission: Permission) => boolean): Gap[] {
  const gaps: Gap[] = [];
  for (const [permission, needs] of Object.entries(REQUIRES) as [Permission, readonly Permission[]][]) {
    if (!holds(permission)) continue;
    for (const missing of needs) if (!holds(missing)) gaps.push({ permission, missing });
  }
  return gaps;
}

/** The gaps in `after` that `before` did not have (so an old gap never blocks an unrelated change). */
export function newGaps(before: readonly Gap[], after: readonly Gap[]): Gap[] {
  const known = new Set(before.map((g) => `${g.permission}>${g.missing}`));
  return after.filter((g) => !known.has(`${g.permission}>${g.missing}`));
}

/** A sentence naming each gap by labels: “Export inventory” needs “View inventory”. */
export function describeGaps(gaps: readonly Gap[]): string {
  const byMissing = new Map<Permission, Permission[]>();
  for (const g of gaps) byMissing.set(g.missing, [...(byMissing.get(g.missing) ?? []), g.permission]);
  return [...byMissing]
    .map(([missing, deps]) => {
      const names = deps.map((d) => `“${permissionDef(d).label}”`);
      const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
      return `${list} ${deps.length > 1 ? 'need' : 'needs'} “${permissionDef(missing).label}”`;
    })
    .join('; ');
}

/**
 * What a role gives at any breadth, its own entries and every inherited role's (for the roles
 * editor's warning; the server judges the same with the engine).
 */
export function roleGives(
  roles: readonly { key: string; inherits: readonly string[]; entries: Readonly<Record<string, string>> }[],
  start: { inherits: readonly string[]; entries: Readonly<Record<string, string>> },
): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (r: { inherits: readonly string[]; entries: Readonly<Record<string, string>> }) => {
    for (const [p, policy] of Object.entries(r.entries)) if (policy !== 'none') out.add(p);
    for (const key of r.inherits) {
      if (seen.has(key)) continue;
      seen.add(key);
      const parent = roles.find((x) => x.key === key);
      if (parent) visit(parent);
    }
  };
  visit(start);
  return out;
}
