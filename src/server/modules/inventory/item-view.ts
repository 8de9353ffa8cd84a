/**
 * An item as the API shows it, from its stored row and its supplier links: pure, so the HTTP
 * bench's minimal server (bench/http/minimal-server.ts) answers with exactly Steward's mapping.
 */
import { storedMoney, storedQuantity } from '../../../shared/contracts/bounds.ts';
import type { Item } from '../../../shared/contracts/inventory.ts';
import type { ItemRow, supplierLinks } from './inventory.repository.ts';

export type SupplierLinkRow = Awaited<ReturnType<typeof supplierLinks>>[number];

/** The rows as items, each with its links (in the order given) among `links`. */
export function itemsOf(rows: readonly ItemRow[], links: readonly SupplierLinkRow[]): Item[] {
  return rows.map((r) => ({
    id: r.id,
    sku: r.sku,
    name: r.name,
    description: r.description,
    category: r.category_id ? { id: r.category_id, name: r.category_name ?? '' } : null,
    unit: r.unit,
    cost: storedMoney(r.cost),
    price: storedMoney(r.price),
    vatRateBp: Number(r.vat_rate_bp),
    priceIncludesVat: r.price_includes_vat === 1,
    location: r.location,
    reorderLevel: storedQuantity(r.reorder_level),
    reorderQuantity: storedQuantity(r.reorder_quantity),
    onHand: storedQuantity(r.on_hand),
    lowStock: storedQuantity(r.reorder_level) > 0 && storedQuantity(r.on_hand) <= storedQuantity(r.reorder_level),
    active: r.active === 1,
    suppliers: links
      .filter((l) => l.item_id === r.id)
      .map((l) => ({
        supplierId: l.supplier_id,
        supplierName: l.supplier_name,
        supplierSku: l.supplier_sku,
        supplierPrice: storedMoney(l.supplier_price),
        preferred: l.preferred === 1,
      })),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}
