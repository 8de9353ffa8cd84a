/**
 * Shared test factories: each builds one record through the API as a signed-in admin, with
 * unique names by default, caller overrides on top, and any parent it needs (a supplier for an
 * order, an item for its lines) created when the caller does not give one. Plus request-body
 * builders for uploads (multipart, hand-made ZIP archives). Staff (a user signed in with their own
 * password) come from `createStaff` in harness.ts; this module imports no app code, so the browser
 * tests use it too.
 */
import { randomUUID } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import type { Item, PurchaseOrder } from '../src/shared/contracts/inventory.ts';
import type { Session } from './harness.ts';

/** A short unique tag for names, SKUs and emails. */
export function unique(prefix = 'T'): string {
  return `${prefix}-${randomUUID().replaceAll('-', '').slice(0, 10)}`;
}

async function created<T>(admin: Session, url: string, payload: unknown): Promise<T> {
  const res = await admin.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  if (res.statusCode !== 201) throw new Error(`POST ${url} failed: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

export async function createCategory(
  admin: Session,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; name: string }> {
  return created(admin, '/api/v1/categories', { name: unique('Category'), ...overrides });
}

export async function createSupplier(
  admin: Session,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; name: string }> {
  return created(admin, '/api/v1/suppliers', { name: unique('Supplier'), ...overrides });
}

/** The POST body of a new item: a unique SKU and name, then the overrides. */
export function itemBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const sku = (overrides.sku as string | undefined) ?? unique('SKU');
  return { sku, name: `Item ${sku}`, ...overrides };
}

/** Creates an item (201 or throws); see `itemBody` for the defaults. */
export async function createItem(admin: Session, overrides: Record<string, unknown> = {}): Promise<Item> {
  return created(admin, '/api/v1/items', itemBody(overrides));
}

/**
 * Creates a purchase order; without `supplierId` a new supplier is created, without `lines` one
 * line of 10 of a new item. `place: true` places it, ready to receive.
 */
export async function createOrder(
  admin: Session,
  options: {
    supplierId?: string;
    lines?: { itemId: string; quantity: number; unitCost?: number }[];
    place?: boolean;
  } = {},
): Promise<PurchaseOrder> {
  const supplierId = options.supplierId ?? (await createSupplier(admin)).id;
  const lines = options.lines ?? [{ itemId: (await createItem(admin)).id, quantity: 10 }];
  const po = await created<PurchaseOrder>(admin, '/api/v1/purchase-orders', {
    supplierId,
    lines: lines.map((l) => ({ unitCost: 100, ...l })),
  });
  if (!options.place) return po;
  const placed = await admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${po.id}/place` });
  if (placed.statusCode !== 200) throw new Error(`place failed: ${placed.statusCode} ${placed.body}`);
  return placed.json() as PurchaseOrder;
}

/** An API key of `owner` carrying `permissions` (201 or throws): the secret and its record. */
export async function createApiKey(
  owner: Session,
  permissions: string[],
  overrides: Record<string, unknown> = {},
): Promise<{ key: string; apiKey: { id: string; name: string } }> {
  return created(owner, '/api/v1/api-keys', { name: unique('Key'), permissions, ...overrides });
}

/** Sets a user's override of one permission through the API, as an admin does on the permissions page. */
export async function setOverride(
  admin: Session,
  userId: string,
  permission: string,
  payload: { effect: 'grant' | 'deny'; scope?: 'own'; reason?: string } & Record<string, unknown>,
): Promise<{ item: { access: string } }> {
  const res = await admin.inject({
    method: 'PUT',
    url: `/api/v1/users/${userId}/permissions/${permission}`,
    payload: { reason: 'test set-up', ...payload },
  });
  if (res.statusCode !== 200) throw new Error(`${payload.effect} ${permission} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A multipart/form-data body with one file. */
export function multipart(filename: string, data: Buffer | string, type = 'text/csv') {
  const boundary = `----steward${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, Buffer.isBuffer(data) ? data : Buffer.from(data), tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/**
 * A ZIP archive of stored-or-deflated entries, written by hand so a test can build what no
 * spreadsheet program would: e.g. an entry that inflates a thousandfold (a zip bomb).
 */
export function zipOf(entries: { name: string; data: Buffer; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate === false ? e.data : deflateRawSync(e.data);
    const name = Buffer.from(e.name);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate === false ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate === false ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
