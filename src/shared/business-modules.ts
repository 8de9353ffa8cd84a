/**
 * Which business modules (templates.ts MODULES) are switched on, and what that means for a
 * permission. The template picks the modules at first run; an admin switches them in Settings →
 * Modules. A module switched off hides its screens and permissions, and the server's route guard
 * refuses its routes (one check, in src/server/http/guard.ts); nothing of its data is deleted.
 * The server and the web app both read these functions, so they never disagree.
 */
import { MODULES, type ModuleDef, type ModuleKey } from './permissions/templates.ts';

const DEFS: readonly ModuleDef[] = MODULES;

/** The module definition of `key`, or undefined when there is none. */
export function businessModule(key: string): ModuleDef | undefined {
  return DEFS.find((m) => m.key === key);
}

export function isModuleKey(key: string): key is ModuleKey {
  return businessModule(key) !== undefined;
}

/**
 * The module a permission belongs to: the module that claims it by name (e.g. Charge codes claims
 * `users.assign_chargecode`), else the module holding its area; undefined for areas no module holds
 * (system, migrations), which are never switched off.
 */
export function moduleOfPermission(permission: string): ModuleDef | undefined {
  const claimed = DEFS.find((m) => m.permissions?.includes(permission));
  if (claimed) return claimed;
  const area = permission.split('.')[0] as string;
  return DEFS.find((m) => m.areas.includes(area));
}

/** True when `key` is on among `on` (modules that are always on count as on). */
export function isModuleOn(key: string, on: readonly string[]): boolean {
  return businessModule(key)?.alwaysOn === true || on.includes(key);
}

/** The switched-off module a permission belongs to, or undefined when the permission is usable. */
export function moduleOffFor(permission: string, on: readonly string[]): ModuleDef | undefined {
  const m = moduleOfPermission(permission);
  return m && !isModuleOn(m.key, on) ? m : undefined;
}

/** True when the permission's module is on (or it belongs to none): lists show it, the guard lets it through. */
export function isPermissionOn(permission: string, on: readonly string[]): boolean {
  return moduleOffFor(permission, on) === undefined;
}

/** `key` and every module it needs, directly or through another, in catalog order. */
export function withNeeds(key: string): string[] {
  const out = new Set<string>();
  const visit = (k: string) => {
    if (out.has(k)) return;
    out.add(k);
    for (const n of businessModule(k)?.needs ?? []) visit(n);
  };
  visit(key);
  return DEFS.map((m) => m.key as string).filter((k) => out.has(k));
}

/** The modules switched on among `on` that need `key` (directly or through another): it cannot go off before them. */
export function neededBy(key: string, on: readonly string[]): string[] {
  return DEFS.map((m) => m.key as string).filter((k) => k !== key && on.includes(k) && withNeeds(k).includes(key));
}

/** Labels joined for a sentence: "Suppliers", "Suppliers and Purchase orders", "A, B and C". */
export function moduleLabels(keys: readonly string[]): string {
  const labels = keys.map((k) => businessModule(k)?.label ?? k);
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}
