/**
 * What the web app needs to know of each code module: its nav entries and settings tabs, and the
 * permissions that open them. Both the server's module definitions (`defineModule({ web })` in
 * src/server/modules/<area>/<area>.module.ts) and the web app import this file, so the web app
 * never imports server code. The functions below compute the navigation from these entries, the
 * business's modules and the user's permissions; the layout only draws what they return.
 */
import { MODULES as BUSINESS_MODULES } from './permissions/templates.ts';

/** A link in the side navigation, shown under the business module it belongs to. */
export type NavEntry = {
  /** The business module (templates MODULES key) this screen belongs to. */
  readonly business: string;
  readonly path: string;
  /** The link's label (otherwise the business module's label): says what the screen holds. */
  readonly label?: string;
  /** Opens for a user with any of these permissions; none listed: any signed-in user. */
  readonly anyOf?: readonly string[];
  /** Only when the user sees at least one settings tab (the settings screen itself). */
  readonly whenSettingsTabs?: true;
};

/** A tab of the settings screen (`/settings/<path>`). */
export type SettingsTab = {
  readonly path: string;
  readonly label: string;
  readonly anyOf: readonly string[];
  /** Only while this business module is switched on. */
  readonly business?: string;
};

export type WebModule = {
  readonly nav?: readonly NavEntry[];
  readonly settings?: readonly SettingsTab[];
};

/**
 * The web part of every code module, keyed by module key (the server checks at start-up that
 * its module list and this one name the same modules). Order matters: for one business module the
 * first entry the user may open is where its nav link goes.
 */
export const WEB_MODULES = {
  health: {},
  setup: {},
  auth: {},
  twoFactor: {},
  business: { settings: [{ path: 'business', label: 'Business', anyOf: ['settings.view'] }] },
  users: { settings: [{ path: 'users', label: 'Users', anyOf: ['users.view'] }] },
  permissions: {
    settings: [
      { path: 'permissions', label: 'Permissions', anyOf: ['settings.permissions'] },
      { path: 'roles', label: 'Roles', anyOf: ['users.view'] },
    ],
    nav: [{ business: 'settings', path: '/settings', whenSettingsTabs: true }],
  },
  'business-modules': { settings: [{ path: 'modules', label: 'Modules', anyOf: ['settings.view'] }] },
  audit: { nav: [{ business: 'security', path: '/audit', label: 'Audit log', anyOf: ['security.audit'] }] },
  security: {
    nav: [{ business: 'security', path: '/settings/security', label: 'Sign-in & keys' }],
    settings: [
      {
        path: 'security',
        label: 'Sign-in & keys',
        anyOf: ['security.rotate_code', 'security.api_keys', 'settings.view'],
      },
    ],
  },
  inventory: {
    nav: [
      { business: 'inventory', path: '/inventory' },
      { business: 'categories', path: '/categories' },
      { business: 'suppliers', path: '/suppliers' },
    ],
    settings: [{ path: 'inventory', label: 'Inventory', anyOf: ['settings.view'], business: 'inventory' }],
  },
  'purchase-orders': { nav: [{ business: 'orders', path: '/orders' }] },
} as const satisfies Record<string, WebModule>;

export type ModuleKey = keyof typeof WEB_MODULES;

/** Settings tabs appear in this order, whichever module declares them. */
const TAB_ORDER = ['users', 'permissions', 'roles', 'modules', 'inventory', 'security', 'business'];

/** What the navigation needs to know of the signed-in user (a subset of `Me`). */
export type Viewer = {
  readonly permissions: readonly { readonly permission: string; readonly access: string }[];
  readonly business: { readonly modules: readonly string[] };
};

function holds(viewer: Viewer, permission: string): boolean {
  return viewer.permissions.some((p) => p.permission === permission && p.access !== 'none');
}

function opens(viewer: Viewer, anyOf: readonly string[] | undefined): boolean {
  return anyOf === undefined || anyOf.some((p) => holds(viewer, p));
}

/** The settings tabs this user may open, across every module. */
export function settingsTabsFor(
  viewer: Viewer,
  modules: Readonly<Record<string, WebModule>> = WEB_MODULES,
): SettingsTab[] {
  const tabs = Object.values(modules)
    .flatMap((m) => m.settings ?? [])
    .filter(
      (t) => opens(viewer, t.anyOf) && (t.business === undefined || viewer.business.modules.includes(t.business)),
    );
  const rank = (t: SettingsTab) => (TAB_ORDER.includes(t.path) ? TAB_ORDER.indexOf(t.path) : TAB_ORDER.length);
  return tabs.sort((a, b) => rank(a) - rank(b));
}

/** One line of the side navigation: a business module, and where it opens (null: not yet built). */
export type NavItem = {
  readonly key: string;
  readonly label: string;
  /** The permission areas of the business module (the dashboard counts access by them). */
  readonly areas: readonly string[];
  readonly path: string | null;
};

/**
 * The business's modules the user can use at least in part (any permission of their areas), in
 * the catalog's order, each with the first screen of a code module the user may open, or null
 * when no module provides one yet (listed as "soon").
 */
export function navItemsFor(viewer: Viewer, modules: Readonly<Record<string, WebModule>> = WEB_MODULES): NavItem[] {
  const usable = new Set(
    viewer.permissions.filter((p) => p.access !== 'none').map((p) => p.permission.split('.')[0] as string),
  );
  const entries = Object.values(modules).flatMap((m) => m.nav ?? []);
  const hasTabs = settingsTabsFor(viewer, modules).length > 0;
  const keys = [...BUSINESS_MODULES.map((m) => m.key as string)];
  for (const e of entries) if (!keys.includes(e.business)) keys.push(e.business);
  return keys
    .map((key) => {
      const known = BUSINESS_MODULES.find((m) => m.key === key);
      const mine = entries.filter((e) => e.business === key);
      const areas: readonly string[] = known?.areas ?? [];
      return { key, label: known?.label ?? mine.find((e) => e.label)?.label ?? key, areas, mine };
    })
    .filter((m) => viewer.business.modules.includes(m.key))
    .filter((m) => m.areas.some((a) => usable.has(a)) || m.mine.some((e) => e.anyOf?.some((p) => holds(viewer, p))))
    .map((m) => {
      const entry = m.mine.find((e) => opens(viewer, e.anyOf) && (!e.whenSettingsTabs || hasTabs));
      return { key: m.key, label: entry?.label ?? m.label, areas: m.areas, path: entry?.path ?? null };
    });
}
