/**
 * Business templates: the built-in roles with their default permissions, and the modules
 * switched on at first run. Transcribed from shared/design/product.md ("Role templates").
 */
import { PERMISSION_KEYS, permissionsInArea } from './catalog.ts';
import type { Policy } from './policy.ts';

export type { Policy };

export type RoleTemplate = {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly inherits: readonly string[];
  readonly entries: Readonly<Record<string, Policy>>;
};

export type TemplateKey = 'studio' | 'stores';

export type ModuleDef = {
  readonly key: string;
  readonly label: string;
  /** What the module holds, in a line (Settings → Modules). */
  readonly description: string;
  /** Permission areas the module's screens need; a user sees the module with any `<area>.view`-like permission. */
  readonly areas: readonly string[];
  /** Permissions outside those areas that only make sense with this module (they hide and refuse with it). */
  readonly permissions?: readonly string[];
  /** Modules this one cannot work without: switching it on switches them on too. */
  readonly needs?: readonly string[];
  /** Never switched off: without it nobody could run Steward or see what happened. */
  readonly alwaysOn?: true;
};

export const MODULES = [
  {
    key: 'agenda',
    label: 'Agenda',
    description: 'Appointments, time off and the schedule.',
    areas: ['agenda'],
    needs: ['clients', 'staff'],
  },
  { key: 'clients', label: 'Clients', description: 'Client records, notes and consent.', areas: ['clients'] },
  {
    key: 'staff',
    label: 'Staff & portfolio',
    description: 'Artist profiles, availability and portfolio images.',
    areas: ['staff', 'portfolio'],
  },
  { key: 'sales', label: 'Sales', description: 'Transactions, payments, refunds and voids.', areas: ['sales'] },
  {
    key: 'cash',
    label: 'Cash drawer',
    description: 'Opening and closing the till.',
    areas: ['cash'],
    needs: ['sales'],
  },
  { key: 'quotes', label: 'Quotes', description: 'Offers that become sales.', areas: ['quotes'], needs: ['sales'] },
  {
    key: 'inventory',
    label: 'Inventory',
    description: 'Items, stock levels, the stock ledger and stocktakes.',
    areas: ['inventory'],
  },
  {
    key: 'categories',
    label: 'Categories',
    description: 'Grouping items, and filtering and counting by group.',
    areas: ['categories'],
    needs: ['inventory'],
  },
  {
    key: 'suppliers',
    label: 'Suppliers',
    description: 'Vendors, and their SKUs and prices on items.',
    areas: ['suppliers'],
    needs: ['inventory'],
  },
  {
    key: 'orders',
    label: 'Purchase orders',
    description: 'Ordering from suppliers and receiving deliveries.',
    areas: ['orders'],
    needs: ['inventory', 'suppliers'],
  },
  {
    key: 'chargecodes',
    label: 'Charge codes',
    description: 'Budget codes that purchases are charged to, and who may use them.',
    areas: ['chargecodes'],
    permissions: ['users.assign_chargecode'],
  },
  { key: 'reports', label: 'Reports', description: 'Revenue, stock and activity reports.', areas: ['reports'] },
  {
    key: 'security',
    label: 'Security',
    description: 'The audit log, the master code, API keys and sessions.',
    areas: ['security'],
    alwaysOn: true,
  },
  {
    key: 'settings',
    label: 'Settings',
    description: 'Users, roles, permissions and the business’s settings.',
    areas: ['settings', 'users'],
    alwaysOn: true,
  },
  { key: 'backups', label: 'Backups', description: 'Database backups and restores.', areas: ['backup'] },
] as const satisfies readonly ModuleDef[];

export type ModuleKey = (typeof MODULES)[number]['key'];

function entries(policy: Policy, keys: readonly string[]): Record<string, Policy> {
  return Object.fromEntries(keys.map((k) => [k, policy]));
}

const ALL = entries('allow', PERMISSION_KEYS);

const STUDIO_ROLES: readonly RoleTemplate[] = [
  {
    key: 'admin',
    name: 'Admin',
    description: 'Studio owners and managers: full control, including security and staff.',
    inherits: [],
    entries: ALL,
  },
  {
    key: 'assistant',
    name: 'Assistant',
    description: 'Front desk. Sensitive actions unlock with the master code for a few minutes.',
    inherits: [],
    entries: {
      ...entries('allow', [
        'agenda.view',
        'agenda.create',
        'agenda.edit',
        'agenda.cancel',
        'agenda.complete',
        'agenda.no_show',
        'agenda.block',
        'agenda.export',
        'clients.view',
        'clients.create',
        'clients.consent',
        'clients.notes',
        'staff.view',
        'portfolio.view',
        'reports.view',
        'sales.view',
        'sales.create',
        'cash.view',
        'cash.open',
        'inventory.view',
      ]),
      ...entries('elevated', [
        'clients.edit',
        'clients.delete',
        'clients.export',
        'clients.merge',
        'reports.export',
        'sales.refund',
        'sales.void',
        'cash.close',
        'inventory.add',
        'inventory.edit',
        'inventory.manage_stock',
        'inventory.count',
        'inventory.export',
      ]),
    },
  },
  {
    key: 'artist',
    name: 'Artist',
    description: 'Artists see everyone’s schedule but change only their own records.',
    inherits: [],
    entries: {
      ...entries('allow', [
        'agenda.view',
        'clients.view',
        'clients.create',
        'staff.view',
        'portfolio.view',
        'inventory.view',
      ]),
      ...entries('own', [
        'agenda.create',
        'agenda.edit',
        'agenda.cancel',
        'agenda.complete',
        'agenda.no_show',
        'agenda.block',
        'agenda.export',
        'clients.consent',
        'clients.notes',
        'portfolio.edit',
        'portfolio.upload',
        'reports.view',
        'sales.view',
      ]),
    },
  },
];

const STORES_USER = [
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
];

const STORES_SUPERUSER = [
  'inventory.add',
  'inventory.edit',
  'inventory.manage_stock',
  'inventory.count',
  'inventory.bulk_edit',
  'inventory.import',
  'inventory.export',
  'categories.add',
  'categories.edit',
  ...permissionsInArea('suppliers').filter((p) => p !== 'suppliers.view'),
  'orders.create',
  'orders.edit',
  'orders.receive',
  'orders.upload_invoice',
  'quotes.delete',
  'quotes.process',
  'sales.process',
  'sales.mark_paid',
  'sales.export',
  'reports.generate',
  'reports.export',
  'reports.financial',
  'chargecodes.view',
  'users.view',
  'users.assign_chargecode',
];

const STORES_ROLES: readonly RoleTemplate[] = [
  {
    key: 'user',
    name: 'User',
    description: 'Daily operations: counter staff, lab and warehouse workers.',
    inherits: [],
    entries: entries('allow', STORES_USER),
  },
  {
    key: 'superuser',
    name: 'Superuser',
    description: 'Department managers and procurement: items, suppliers, orders and reports.',
    inherits: ['user'],
    entries: entries('allow', STORES_SUPERUSER),
  },
  {
    key: 'admin',
    name: 'Admin',
    description: 'System administrators: users, settings, backups and everything else.',
    inherits: ['superuser'],
    entries: ALL,
  },
];

export type BusinessTemplate = {
  readonly key: TemplateKey;
  readonly label: string;
  readonly description: string;
  readonly roles: readonly RoleTemplate[];
  /** The role given to the first user created at setup. */
  readonly adminRole: string;
  readonly modules: readonly ModuleKey[];
};

export const TEMPLATES: Readonly<Record<TemplateKey, BusinessTemplate>> = {
  studio: {
    key: 'studio',
    label: 'Tattoo / beauty studio',
    description: 'Agenda, clients, artists and portfolios, sales and the cash drawer, supplies.',
    roles: STUDIO_ROLES,
    adminRole: 'admin',
    modules: ['agenda', 'clients', 'staff', 'sales', 'cash', 'inventory', 'reports', 'security', 'settings', 'backups'],
  },
  stores: {
    key: 'stores',
    label: 'Lab / department stores',
    description: 'Inventory, suppliers, purchase orders, quotes and sales, charge codes and reports.',
    roles: STORES_ROLES,
    adminRole: 'admin',
    modules: [
      'inventory',
      'categories',
      'suppliers',
      'orders',
      'quotes',
      'sales',
      'chargecodes',
      'reports',
      'security',
      'settings',
      'backups',
    ],
  },
};

export const TEMPLATE_KEYS = Object.keys(TEMPLATES) as TemplateKey[];
