import type { Generated } from 'kysely';
import type { PurchaseOrderStatus } from '../../shared/contracts/inventory.ts';
import type { Policy } from '../../shared/permissions/policy.ts';

/** Table types for Kysely. Times are ISO-8601 UTC strings; flags are 0/1 integers on both engines. */
export type Flag = 0 | 1;

export type SettingsTable = { key: string; value: string; updated_at: string };

export type RolesTable = {
  key: string;
  name: string;
  description: string;
  builtin: Flag;
  created_at: string;
  updated_at: string;
};

export type RoleParentsTable = { role_key: string; parent_key: string };

export type RoleEntriesTable = { role_key: string; permission: string; policy: Policy };

export type UsersTable = {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  role_key: string;
  artist_id: string | null;
  active: Flag;
  must_change_password: Flag;
  failed_logins: number;
  locked_until: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
};

export type UserOverridesTable = {
  user_id: string;
  permission: string;
  effect: 'grant' | 'deny';
  scope: 'any' | 'own';
  expires_at: string | null;
  reason: string | null;
  granted_by: string | null;
  created_at: string;
};

export type SessionsTable = {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  elevated_until: string | null;
  ip: string | null;
  user_agent: string | null;
  ended_at: string | null;
  /** Public handle for listing and ending sessions (the id is the token's hash and never leaves the server). */
  handle: string | null;
};

export type ApiKeysTable = {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  /** JSON array of permission keys. */
  permissions: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
};

export type ThrottlesTable = {
  key: string;
  failures: number;
  window_started_at: string;
  locked_until: string | null;
};

export type MasterCodesTable = {
  id: string;
  code_hash: string;
  created_at: string;
  created_by: string | null;
  failures: number;
  disabled_at: string | null;
  retired_at: string | null;
};

export type PermissionRequestsTable = {
  id: string;
  user_id: string;
  permission: string;
  scope: 'any' | 'own';
  expires_at: string | null;
  reason: string;
  requested_by: string;
  requested_at: string;
  status: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  decided_at: string | null;
};

/** A role change waiting for a second admin (migration 2026-12-02-0801). */
export type RoleRequestsTable = {
  id: string;
  kind: 'assign' | 'create' | 'update';
  role_key: string;
  /** Set for `assign`: whose role changes. */
  user_id: string | null;
  /** JSON: `{ roleKey, from }` for assign; the role's name, description, inherits and entries otherwise. */
  payload: string;
  /** JSON list of the critical permissions the change adds. */
  critical: string;
  reason: string | null;
  requested_by: string;
  requested_at: string;
  status: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  decided_at: string | null;
};

export type AuditEventsTable = {
  seq: number;
  at: string;
  actor_user_id: string | null;
  actor_label: string | null;
  elevated: Flag;
  action: string;
  outcome: 'success' | 'failure';
  target_type: string | null;
  target_id: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  prev_hash: string;
  hash: string;
  /** First part of `action` (derived, not hashed), for the area filter. */
  area: string | null;
};

export type AuditCheckpointsTable = {
  seq: number;
  hash: string;
  at: string;
  /** SHA-256 of the signing public key (which key signed it). */
  key_id: string;
  /** Ed25519 signature (base64) over "steward-audit-checkpoint\n<seq>\n<hash>\n<at>". */
  signature: string;
};

export type CategoriesTable = {
  id: string;
  name: string;
  description: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
};

export type SuppliersTable = {
  id: string;
  name: string;
  contact_name: string;
  email: string;
  phone: string;
  address: string;
  notes: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
};

/** Money in minor units (cents); VAT in basis points (2300 = 23 %); quantities in whole units. */
export type ItemsTable = {
  id: string;
  sku: string;
  name: string;
  description: string;
  category_id: string | null;
  unit: string;
  cost: number;
  price: number;
  vat_rate_bp: number;
  price_includes_vat: Flag;
  location: string;
  reorder_level: number;
  reorder_quantity: number;
  on_hand: number;
  active: Flag;
  /** Lower-cased SKU, name and location: what item search matches (FTS5 / pg_trgm). */
  search_text: string;
  /** SQLite only: the item's row id in items_fts. */
  search_id: number | null;
  created_at: string;
  updated_at: string;
};

export type ItemSuppliersTable = {
  item_id: string;
  supplier_id: string;
  supplier_sku: string;
  supplier_price: number;
  preferred: Flag;
};

export type MovementKind = 'in' | 'out' | 'adjustment' | 'count' | 'receipt' | 'sale' | 'refund' | 'import';

export type StockMovementsTable = {
  id: Generated<number>;
  item_id: string;
  kind: MovementKind;
  /** Signed change of on-hand stock. */
  quantity: number;
  before: number;
  after: number;
  reason: string | null;
  reference_type: string | null;
  reference_id: string | null;
  actor_user_id: string | null;
  /** 1 when booked in a session elevated by the master code. */
  elevated: Generated<Flag>;
  created_at: string;
};

export type StockCountsTable = {
  id: string;
  status: 'open' | 'posted' | 'cancelled';
  note: string;
  created_by: string | null;
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
};

export type StockCountLinesTable = { count_id: string; item_id: string; expected: number; counted: number | null };

export type { PurchaseOrderStatus };

export type PurchaseOrdersTable = {
  id: string;
  number: number;
  supplier_id: string;
  status: PurchaseOrderStatus;
  notes: string;
  expected_at: string | null;
  /** The supplier's own reference for the order (≤ 100 characters), or null. */
  supplier_reference: string | null;
  ordered_at: string | null;
  closed_at: string | null;
  invoice_name: string | null;
  invoice_size: number | null;
  invoice_uploaded_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
};

export type PurchaseOrderLinesTable = {
  id: Generated<number>;
  order_id: string;
  item_id: string;
  quantity: number;
  received: number;
  unit_cost: number;
};

export type TwoFactorTable = {
  user_id: string;
  secret: string;
  confirmed_at: string | null;
  last_step: number | null;
  created_at: string;
};

export type TwoFactorRecoveryCodesTable = {
  code_hash: string;
  user_id: string;
  created_at: string;
  used_at: string | null;
};

export type TwoFactorChallengesTable = {
  id: string;
  user_id: string;
  enrol: number;
  attempts: number;
  expires_at: string;
  created_at: string;
};

/** A counter every change of some data bumps in its own transaction (kept by triggers): caches compare it. */
export type DataVersionsTable = { name: string; version: number };

export type DB = {
  settings: SettingsTable;
  data_versions: DataVersionsTable;
  roles: RolesTable;
  role_parents: RoleParentsTable;
  role_entries: RoleEntriesTable;
  users: UsersTable;
  user_overrides: UserOverridesTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  api_keys: ApiKeysTable;
  throttles: ThrottlesTable;
  master_codes: MasterCodesTable;
  permission_requests: PermissionRequestsTable;
  role_requests: RoleRequestsTable;
  audit_checkpoints: AuditCheckpointsTable;
  categories: CategoriesTable;
  suppliers: SuppliersTable;
  items: ItemsTable;
  item_suppliers: ItemSuppliersTable;
  stock_movements: StockMovementsTable;
  stock_counts: StockCountsTable;
  stock_count_lines: StockCountLinesTable;
  purchase_orders: PurchaseOrdersTable;
  purchase_order_lines: PurchaseOrderLinesTable;
  two_factor: TwoFactorTable;
  two_factor_recovery_codes: TwoFactorRecoveryCodesTable;
  two_factor_challenges: TwoFactorChallengesTable;
};
