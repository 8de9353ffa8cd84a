/**
 * The permission catalog: every permission Steward checks, declared once.
 * The server's route guard, the permission engine, the web app, the OpenAPI document and
 * the tests all read this list; nothing else may invent a permission name.
 */

export type Risk = 'normal' | 'sensitive' | 'critical';

export type AreaDef = { readonly key: string; readonly label: string; readonly description: string };

export type PermissionDef = {
  readonly key: Permission;
  readonly area: string;
  readonly action: string;
  readonly label: string;
  readonly description: string;
  readonly risk: Risk;
};

export const AREAS = [
  { key: 'inventory', label: 'Inventory', description: 'Items, stock levels and the stock ledger.' },
  { key: 'categories', label: 'Categories', description: 'How items are grouped.' },
  { key: 'suppliers', label: 'Suppliers', description: 'Vendors and their prices.' },
  { key: 'orders', label: 'Purchase orders', description: 'Ordering from suppliers and receiving deliveries.' },
  { key: 'quotes', label: 'Quotes', description: 'Draft offers that become sales.' },
  { key: 'sales', label: 'Sales', description: 'Transactions, payments, refunds and voids.' },
  { key: 'cash', label: 'Cash drawer', description: 'Opening and closing the till.' },
  { key: 'chargecodes', label: 'Charge codes', description: 'Budget codes that purchases are charged to.' },
  { key: 'clients', label: 'Clients', description: 'Client records, notes and consent.' },
  { key: 'agenda', label: 'Agenda', description: 'Appointments, time off and the schedule.' },
  { key: 'staff', label: 'Staff', description: 'Artist profiles and availability.' },
  { key: 'portfolio', label: 'Portfolio', description: "Artists' portfolio images." },
  { key: 'users', label: 'Users', description: 'User accounts and their access.' },
  { key: 'reports', label: 'Reports', description: 'Revenue, stock and activity reports.' },
  { key: 'settings', label: 'Settings', description: 'Business configuration.' },
  { key: 'security', label: 'Security', description: 'Audit log, master code and API keys.' },
  { key: 'backup', label: 'Backups', description: 'Database backups and restores.' },
  { key: 'system', label: 'System', description: 'System management and migrations.' },
  { key: 'migration', label: 'Migrations', description: 'Database schema migrations.' },
] as const satisfies readonly AreaDef[];

export type Area = (typeof AREAS)[number]['key'];

type Row = readonly [action: string, label: string, description: string, risk?: Risk];

const DEFINITIONS = {
  inventory: [
    ['view', 'View inventory', 'See items, stock levels and movement history.'],
    ['add', 'Add items', 'Create new inventory items.'],
    ['edit', 'Edit items', 'Change item details such as name, price or reorder level.'],
    ['delete', 'Delete items', 'Archive items (items with history are never erased).', 'sensitive'],
    ['manage_stock', 'Manage stock', 'Record stock in, stock out and adjustments.', 'sensitive'],
    ['count', 'Stocktake', 'Run physical counts and post the differences.', 'sensitive'],
    ['bulk_edit', 'Bulk edit', 'Change many items at once, e.g. their VAT rate or reorder level.', 'sensitive'],
    ['import', 'Import items', 'Import items from CSV or XLSX files.', 'sensitive'],
    ['export', 'Export inventory', 'Download inventory as CSV or XLSX.'],
  ],
  categories: [
    ['view', 'View categories', 'See the category list.'],
    ['add', 'Add categories', 'Create categories.'],
    ['edit', 'Edit categories', 'Rename or reorganise categories.'],
    ['delete', 'Delete categories', 'Remove unused categories.', 'sensitive'],
  ],
  suppliers: [
    ['view', 'View suppliers', 'See supplier contacts and prices.'],
    ['add', 'Add suppliers', 'Create suppliers.'],
    ['edit', 'Edit suppliers', 'Change supplier details.'],
    ['delete', 'Delete suppliers', 'Archive suppliers.', 'sensitive'],
  ],
  orders: [
    ['view', 'View purchase orders', 'See purchase orders and their status.'],
    ['create', 'Create purchase orders', 'Draft and place purchase orders.'],
    ['edit', 'Edit purchase orders', 'Change orders that are not yet received.'],
    ['receive', 'Receive deliveries', 'Mark order lines as received, which adds stock.'],
    ['delete', 'Delete purchase orders', 'Delete orders while nothing has been received.', 'sensitive'],
    ['upload_invoice', 'Upload invoices', 'Attach invoice PDFs to purchase orders.'],
  ],
  quotes: [
    ['view', 'View quotes', 'See quotes.'],
    ['create', 'Create quotes', 'Draft quotes for customers.'],
    ['edit', 'Edit quotes', 'Change draft quotes.'],
    ['delete', 'Delete quotes', 'Remove abandoned draft quotes.'],
    ['process', 'Process quotes', 'Turn an approved quote into a sale.'],
  ],
  sales: [
    ['view', 'View sales', 'See sales transactions.'],
    ['create', 'Create sales', 'Ring up sales at the counter.'],
    ['process', 'Process sales', 'Complete sales created from quotes.'],
    ['refund', 'Refund sales', 'Issue full or partial refunds.', 'sensitive'],
    ['void', 'Void sales', 'Cancel an open sale.', 'sensitive'],
    ['mark_paid', 'Mark paid', 'Mark sales as paid or unpaid.', 'sensitive'],
    ['export', 'Export sales', 'Download sales data.', 'sensitive'],
  ],
  cash: [
    ['view', 'View cash drawer', 'See the drawer balance and its movements.'],
    ['open', 'Open the drawer', 'Open a cash drawer session with a float.'],
    ['close', 'Close the drawer', 'Count and close the drawer; record over/short.', 'sensitive'],
  ],
  chargecodes: [
    ['view', 'View charge codes', 'See budget codes and their spending.'],
    ['manage', 'Manage charge codes', 'Create and change budget codes and their holders.', 'sensitive'],
  ],
  clients: [
    ['view', 'View clients', 'See client records.'],
    ['create', 'Create clients', 'Add new clients.'],
    ['edit', 'Edit clients', 'Correct client details.', 'sensitive'],
    ['delete', 'Delete clients', 'Mark clients inactive (records are kept).', 'sensitive'],
    ['merge', 'Merge clients', 'Merge duplicate client records.', 'sensitive'],
    ['export', 'Export clients', 'Download client lists.', 'sensitive'],
    ['notes', 'Client notes', 'Read and write notes on clients.', 'sensitive'],
    ['consent', 'Client consent', 'Record consent forms and health information.', 'sensitive'],
  ],
  agenda: [
    ['view', 'View agenda', 'See the schedule.'],
    ['create', 'Book appointments', 'Create appointments.'],
    ['edit', 'Edit appointments', 'Move or change appointments.'],
    ['cancel', 'Cancel appointments', 'Cancel appointments.'],
    ['complete', 'Complete appointments', 'Mark appointments done, recording the sale and commission.'],
    ['no_show', 'Record no-shows', 'Mark a client as not having shown up.'],
    ['block', 'Block time', 'Block time off in the agenda.'],
    ['export', 'Export agenda', 'Download the schedule.'],
  ],
  staff: [
    ['view', 'View staff', 'See artist profiles and availability.'],
    ['manage', 'Manage staff', 'Change artist profiles, commission rates and availability.', 'sensitive'],
  ],
  portfolio: [
    ['view', 'View portfolios', "See artists' portfolio images."],
    ['edit', 'Edit portfolios', 'Change portfolio entries.'],
    ['upload', 'Upload to portfolios', 'Add portfolio images.'],
  ],
  users: [
    ['view', 'View users', 'See user accounts.'],
    ['add', 'Add users', 'Create user accounts.', 'sensitive'],
    ['edit', 'Edit users', 'Change user details and roles.', 'sensitive'],
    ['delete', 'Deactivate users', 'Deactivate user accounts (they are never erased).', 'critical'],
    ['reset_password', 'Reset passwords', 'Set a temporary password for another user.', 'sensitive'],
    ['manage_permissions', 'Manage permissions', 'Grant and deny permissions to users and edit roles.', 'critical'],
    ['assign_chargecode', 'Assign charge codes', 'Authorise users on budget codes.'],
  ],
  reports: [
    ['view', 'View reports', 'Open the reports page.'],
    ['generate', 'Generate reports', 'Build custom reports.'],
    ['export', 'Export reports', 'Download reports as CSV or XLSX.', 'sensitive'],
    ['financial', 'Financial reports', 'See sales totals, VAT and commissions.', 'sensitive'],
  ],
  settings: [
    ['view', 'View settings', 'See the business configuration.'],
    ['edit', 'Edit settings', 'Change business configuration.', 'critical'],
    ['manage_vat', 'Manage VAT', 'Configure VAT rates.', 'sensitive'],
    ['permissions', 'Permission settings', 'Open the permissions settings page.', 'sensitive'],
  ],
  security: [
    ['audit', 'Read the audit log', 'Search, verify and export the audit log.', 'sensitive'],
    ['rotate_code', 'Rotate the master code', 'Generate a new master code; the old one stops working.', 'sensitive'],
    ['api_keys', 'Manage API keys', 'Create and revoke API keys.', 'sensitive'],
  ],
  backup: [
    ['view', 'View backups', 'See the backup list.'],
    ['create', 'Create backups', 'Start a backup.'],
    ['restore', 'Restore backups', 'Replace the database with a backup.', 'critical'],
    ['download', 'Download backups', 'Download backup files.', 'sensitive'],
  ],
  system: [['manage', 'Manage the system', 'Access system management features.', 'sensitive']],
  migration: [['execute', 'Run migrations', 'Apply database schema migrations.', 'critical']],
} as const satisfies Readonly<Record<Area, readonly Row[]>>;

/**
 * Every catalog permission name as a literal type: route configs, the guard, `hasPermission`
 * in the web app and the tests take it, so a misspelt permission fails the type-check.
 */
export type Permission = { [A in Area]: `${A}.${(typeof DEFINITIONS)[A][number][0]}` }[Area];

export const PERMISSIONS: readonly PermissionDef[] = AREAS.flatMap((area) =>
  (DEFINITIONS[area.key] as readonly Row[]).map(([action, label, description, risk = 'normal']) => ({
    key: `${area.key}.${action}` as Permission,
    area: area.key,
    action,
    label,
    description,
    risk,
  })),
);

/** Catalog permission names, in catalog order. */
export const PERMISSION_KEYS: readonly Permission[] = PERMISSIONS.map((p) => p.key);

const BY_KEY: ReadonlyMap<string, PermissionDef> = new Map(PERMISSIONS.map((p) => [p.key, p]));

/** True when `key` names a catalog permission. */
export function isPermission(key: string): key is Permission {
  return BY_KEY.has(key);
}

/** The catalog entry for `key`; throws on an unknown name, which is a programming error. */
export function permissionDef(key: string): PermissionDef {
  const def = BY_KEY.get(key);
  if (!def) throw new Error(`Unknown permission "${key}": add it to src/shared/permissions/catalog.ts`);
  return def;
}

/** Permissions in one area, e.g. all of `suppliers.*` (the stores guide's `suppliers.manage` bundle). */
export function permissionsInArea(area: string): readonly string[] {
  return PERMISSIONS.filter((p) => p.area === area).map((p) => p.key);
}

/** UI bundles: conveniences that expand to several permissions; never checked themselves. */
export const BUNDLES: Readonly<Record<string, readonly string[]>> = {
  'suppliers.manage': ['suppliers.view', 'suppliers.add', 'suppliers.edit', 'suppliers.delete'],
};
