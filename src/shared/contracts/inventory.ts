import { z } from 'zod';
import { formatMinor, grouped, MAX_MONEY_MINOR, MAX_QUANTITY } from './bounds.ts';

const Money = (what: string) =>
  z
    .number({ error: `Enter the ${what} in cents, as a whole number.` })
    .min(0, `The ${what} cannot be negative.`)
    .max(MAX_MONEY_MINOR, `The ${what} is at most ${formatMinor(MAX_MONEY_MINOR)}.`)
    .int(`Enter the ${what} in cents, as a whole number.`);
const Count = (what: string) =>
  z
    .number({ error: `Enter ${what} as a whole number.` })
    .min(0, `${what[0]?.toUpperCase()}${what.slice(1)} cannot be negative.`)
    .max(MAX_QUANTITY, `${what[0]?.toUpperCase()}${what.slice(1)} is at most ${grouped(MAX_QUANTITY)}.`)
    .int(`Enter ${what} as a whole number.`);
/** A row id of a serial column (PostgreSQL `integer`): larger ids cannot exist. */
const RowId = z.number().int().min(1).max(2_147_483_647);
const Text = (max: number) => z.string().trim().max(max, `Use at most ${max} characters.`);

// --- categories and suppliers -------------------------------------------------------------------

export const Category = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    archived: z.boolean(),
    items: z.number().int(),
  })
  .meta({ id: 'Category' });
export type Category = z.infer<typeof Category>;
export const CategoryList = z.object({ items: z.array(Category) });
export type CategoryList = z.infer<typeof CategoryList>;
export const CategoryBody = z.strictObject({
  name: Text(80).min(1, 'Enter a name.'),
  description: Text(300).default(''),
});
export type CategoryBody = z.input<typeof CategoryBody>;

export const Supplier = z
  .object({
    id: z.string(),
    name: z.string(),
    contactName: z.string(),
    email: z.string(),
    phone: z.string(),
    address: z.string(),
    notes: z.string(),
    archived: z.boolean(),
    items: z.number().int(),
  })
  .meta({ id: 'Supplier' });
export type Supplier = z.infer<typeof Supplier>;
export const SupplierList = z.object({ items: z.array(Supplier) });
export type SupplierList = z.infer<typeof SupplierList>;
export const SupplierBody = z.strictObject({
  name: Text(120).min(1, 'Enter a name.'),
  contactName: Text(120).default(''),
  email: z.union([z.literal(''), z.email('Enter a valid email address.')]).default(''),
  phone: Text(40).default(''),
  address: Text(300).default(''),
  notes: Text(1000).default(''),
});
export type SupplierBody = z.input<typeof SupplierBody>;

// --- items -----------------------------------------------------------------------------------------

export const ItemSupplierLink = z.object({
  supplierId: z.string(),
  supplierName: z.string(),
  supplierSku: z.string(),
  supplierPrice: z.number().int(),
  preferred: z.boolean(),
});

export const Item = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.object({ id: z.string(), name: z.string() }).nullable(),
    unit: z.string(),
    cost: z.number().int().describe('Minor units (cents)'),
    price: z.number().int().describe('Minor units (cents)'),
    vatRateBp: z.number().int().describe('Basis points: 2300 = 23 %'),
    priceIncludesVat: z.boolean(),
    location: z.string(),
    reorderLevel: z.number().int(),
    reorderQuantity: z.number().int(),
    onHand: z.number().int(),
    lowStock: z.boolean(),
    active: z.boolean(),
    suppliers: z.array(ItemSupplierLink),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Item' });
export type Item = z.infer<typeof Item>;

const SKU = z
  .string()
  .trim()
  .min(1, 'Enter a SKU.')
  .max(64, 'Use at most 64 characters.')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'Use letters, digits and . _ - / only, starting with a letter or digit.');

/** The rule of each item field, without defaults: the API's bodies and the import's rows use these. */
const ItemRules = {
  sku: SKU,
  name: Text(200).min(1, 'Enter a name.'),
  description: Text(2000),
  unit: Text(20).min(1, 'Enter a unit, e.g. pcs.'),
  cost: Money('cost'),
  price: Money('price'),
  vatRateBp: z
    .number({ error: 'Enter the VAT rate in basis points (2300 = 23 %).' })
    .int('Enter the VAT rate in basis points (2300 = 23 %).')
    .min(0, 'The VAT rate cannot be negative.')
    .max(10_000, 'The VAT rate is at most 100 %.'),
  priceIncludesVat: z.boolean(),
  location: Text(80),
  reorderLevel: Count('the reorder level'),
  reorderQuantity: Count('the reorder quantity'),
  openingStock: Count('the opening stock'),
  supplierSku: Text(64),
  supplierPrice: Money('supplier price'),
};

const ItemFields = {
  sku: ItemRules.sku,
  name: ItemRules.name,
  description: ItemRules.description.default(''),
  categoryId: z.string().max(64).nullable().default(null),
  unit: ItemRules.unit.default('pcs'),
  cost: ItemRules.cost.default(0),
  price: ItemRules.price.default(0),
  vatRateBp: ItemRules.vatRateBp.default(0),
  priceIncludesVat: ItemRules.priceIncludesVat.default(true),
  location: ItemRules.location.default(''),
  reorderLevel: ItemRules.reorderLevel.default(0),
  reorderQuantity: ItemRules.reorderQuantity.default(0),
  suppliers: z
    .array(
      z.strictObject({
        supplierId: z.string().max(64),
        supplierSku: ItemRules.supplierSku.default(''),
        supplierPrice: ItemRules.supplierPrice.default(0),
        preferred: z.boolean().default(false),
      }),
    )
    .max(20)
    .default([]),
};

/**
 * One row of an item import, checked by the same rules as the API's item bodies (a cell left
 * empty changes nothing). `openingStock` is the `on_hand` column of a new item.
 */
export const ItemImportRow = z.strictObject({
  sku: ItemRules.sku,
  name: ItemRules.name,
  description: ItemRules.description.optional(),
  unit: ItemRules.unit.optional(),
  cost: ItemRules.cost.optional(),
  price: ItemRules.price.optional(),
  vatRateBp: ItemRules.vatRateBp.optional(),
  priceIncludesVat: ItemRules.priceIncludesVat.optional(),
  location: ItemRules.location.optional(),
  reorderLevel: ItemRules.reorderLevel.optional(),
  reorderQuantity: ItemRules.reorderQuantity.optional(),
  openingStock: ItemRules.openingStock.optional(),
  /** The preferred supplier's SKU and price (the supplier itself is named in its own column). */
  supplierSku: ItemRules.supplierSku.optional(),
  supplierPrice: ItemRules.supplierPrice.optional(),
});
export type ItemImportRow = z.infer<typeof ItemImportRow>;

export const CreateItemBody = z.strictObject({
  ...ItemFields,
  openingStock: ItemRules.openingStock.default(0).describe('Booked as a stock-in movement'),
});
export type CreateItemBody = z.input<typeof CreateItemBody>;

type WithoutDefault<T> = T extends z.ZodDefault<infer Inner> ? Inner : T;
/** A change sets only the fields it sends: the create body's defaults are dropped (Zod 4 would apply them). */
export const UpdateItemBody = z
  .strictObject(
    Object.fromEntries(
      Object.entries(ItemFields).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]),
    ) as {
      [K in keyof typeof ItemFields]: z.ZodOptional<WithoutDefault<(typeof ItemFields)[K]>>;
    },
  )
  .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change.');
export type UpdateItemBody = z.input<typeof UpdateItemBody>;

export const ItemFilter = z.object({
  q: z.string().trim().max(100).optional(),
  categoryId: z.string().max(64).optional(),
  supplierId: z.string().max(64).optional(),
  status: z.enum(['active', 'archived', 'all']).default('active'),
  lowStock: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  location: z.string().max(80).optional(),
});
export type ItemFilter = z.infer<typeof ItemFilter>;

export const ItemListQuery = ItemFilter.extend({
  sort: z.enum(['name', 'sku', 'onHand', 'price', 'updatedAt']).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type ItemListQuery = z.infer<typeof ItemListQuery>;

export const ItemList = z.object({
  items: z.array(Item),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type ItemList = z.infer<typeof ItemList>;

// --- stock ---------------------------------------------------------------------------------------------

export const MovementKind = z.enum(['in', 'out', 'adjustment', 'count', 'receipt', 'sale', 'refund', 'import']);

export const Movement = z
  .object({
    id: z.number().int(),
    kind: MovementKind,
    quantity: z.number().int(),
    before: z.number().int(),
    after: z.number().int(),
    reason: z.string().nullable(),
    reference: z.object({ type: z.string(), id: z.string() }).nullable(),
    actor: z.object({ id: z.string(), name: z.string() }).nullable(),
    elevated: z.boolean().describe('Booked in a session elevated by the master code'),
    at: z.string(),
  })
  .meta({ id: 'StockMovement' });
export type Movement = z.infer<typeof Movement>;
export const MovementList = z.object({ items: z.array(Movement), nextCursor: z.number().int().nullable() });
export type MovementList = z.infer<typeof MovementList>;

export const StockChangeBody = z
  .strictObject({
    kind: z.enum(['in', 'out', 'adjustment'], { error: 'Choose in, out or adjustment.' }),
    quantity: z
      .number({ error: 'Enter a whole number.' })
      .int('Enter a whole number.')
      .min(-MAX_QUANTITY, `At most ${grouped(MAX_QUANTITY)} at once.`)
      .max(MAX_QUANTITY, `At most ${grouped(MAX_QUANTITY)} at once.`)
      .refine((q) => q !== 0, 'Enter a quantity other than 0.'),
    reason: Text(300).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind !== 'adjustment' && b.quantity < 0) {
      ctx.addIssue({ code: 'custom', path: ['quantity'], message: 'Enter how many, as a positive number.' });
    }
    if (b.kind === 'adjustment' && !(b.reason && b.reason.trim().length >= 3)) {
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'Say why the stock is adjusted (at least 3 characters).',
      });
    }
  });
export type StockChangeBody = z.input<typeof StockChangeBody>;

export const StockChangeResult = z.object({ item: Item, movement: Movement });

export const InventorySettings = z.strictObject({ allowNegativeStock: z.boolean() }).meta({ id: 'InventorySettings' });
export type InventorySettings = z.infer<typeof InventorySettings>;

// --- bulk edit, import, stocktake ------------------------------------------------------------------

export const BulkEditBody = z.strictObject({
  filter: ItemFilter.partial().default({}),
  itemIds: z.array(z.string().max(64)).max(10_000).optional().describe('Only these items (within the filter)'),
  set: z
    .strictObject({
      vatRateBp: ItemFields.vatRateBp.unwrap().optional(),
      categoryId: z.string().max(64).nullable().optional(),
      reorderLevel: Count('the reorder level').optional(),
      active: z.boolean().optional(),
      preferredSupplierId: z
        .string()
        .max(64)
        .nullable()
        .optional()
        .describe(
          'The preferred supplier (null: none). A link the item already has keeps its supplier SKU and price; a new link has none (orders then use the item’s cost). Other links stay, no longer preferred.',
        ),
    })
    .refine((s) => Object.keys(s).length > 0, 'Choose at least one thing to change.'),
});
export type BulkEditBody = z.infer<typeof BulkEditBody>;
export const BulkEditResult = z.object({ matched: z.number().int(), changed: z.number().int() });

export const ImportProblem = z.object({ row: z.number().int(), column: z.string(), message: z.string() });
export const ImportPreview = z.object({
  rows: z.number().int(),
  creates: z.number().int(),
  updates: z.number().int(),
  errors: z.array(ImportProblem),
  columns: z.array(z.string()),
  sample: z.array(z.record(z.string(), z.string())),
});
export type ImportPreview = z.infer<typeof ImportPreview>;
export const ImportResult = z.object({ created: z.number().int(), updated: z.number().int() });

export const StockCountSummary = z.object({
  id: z.string(),
  status: z.enum(['open', 'posted', 'cancelled']),
  note: z.string(),
  lines: z.number().int(),
  counted: z.number().int(),
  differences: z.number().int(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  closedAt: z.string().nullable(),
});
export type StockCountSummary = z.infer<typeof StockCountSummary>;
export const StockCount = StockCountSummary.extend({
  items: z.array(
    z.object({
      itemId: z.string(),
      sku: z.string(),
      name: z.string(),
      location: z.string(),
      unit: z.string(),
      expected: z.number().int(),
      counted: z.number().int().nullable(),
      difference: z.number().int().nullable(),
    }),
  ),
}).meta({ id: 'StockCount' });
export type StockCount = z.infer<typeof StockCount>;
export const StockCountList = z.object({ items: z.array(StockCountSummary) });
export const OpenCountBody = z.strictObject({
  note: Text(300).default(''),
  categoryId: z.string().max(64).optional(),
  location: z.string().max(80).optional(),
});
export const CountLinesBody = z.strictObject({
  lines: z
    .array(z.strictObject({ itemId: z.string().max(64), counted: Count('the counted quantity').nullable() }))
    .min(1)
    .max(10_000),
});

// --- purchase orders -------------------------------------------------------------------------------------

/** How people refer to a purchase order: PO-000042. */
export const purchaseOrderReference = (n: number) => `PO-${String(n).padStart(6, '0')}`;

export const PURCHASE_ORDER_STATUSES = ['draft', 'ordered', 'partially_received', 'received', 'cancelled'] as const;
export const PurchaseOrderStatus = z.enum(PURCHASE_ORDER_STATUSES);
export type PurchaseOrderStatus = z.infer<typeof PurchaseOrderStatus>;
/** An order still in progress: listed as open, cancellable, and keeping its supplier and items in use. */
export const OPEN_ORDER_STATUSES = ['draft', 'ordered', 'partially_received'] as const satisfies PurchaseOrderStatus[];
/** Deliveries are received against an order placed and not yet received in full. */
export const isReceivable = (status: PurchaseOrderStatus): boolean =>
  status === 'ordered' || status === 'partially_received';

export const PurchaseOrderLine = z.object({
  id: z.number().int(),
  itemId: z.string(),
  sku: z.string(),
  name: z.string(),
  unit: z.string(),
  quantity: z.number().int(),
  received: z.number().int().describe('may exceed the quantity ordered when an over-delivery was recorded'),
  unitCost: z.number().int(),
  supplierSku: z.string().describe('the SKU the order’s supplier uses for the item, or empty'),
});

export const PurchaseOrder = z
  .object({
    id: z.string(),
    number: z.number().int(),
    reference: z.string().describe('e.g. PO-000042'),
    supplier: z.object({ id: z.string(), name: z.string() }),
    status: PurchaseOrderStatus,
    notes: z.string(),
    expectedAt: z.string().nullable().describe('expected delivery, a calendar date (YYYY-MM-DD)'),
    supplierReference: z.string().nullable().describe('the supplier’s own reference for the order'),
    overdue: z
      .boolean()
      .describe(
        'placed, not yet received in full, and its expected delivery date is before today (business time zone)',
      ),
    orderedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    total: z.number().int(),
    invoice: z.object({ name: z.string(), size: z.number().int(), uploadedAt: z.string() }).nullable(),
    lines: z.array(PurchaseOrderLine),
    createdAt: z.string(),
  })
  .meta({ id: 'PurchaseOrder' });
export type PurchaseOrder = z.infer<typeof PurchaseOrder>;
export const PurchaseOrderList = z.object({ items: z.array(PurchaseOrder) });
export type PurchaseOrderList = z.infer<typeof PurchaseOrderList>;

/** Bounds of an order's header and of an over-delivery's reason, shared by the server and the forms. */
export const SUPPLIER_REFERENCE_MAX = 100;
export const OVER_DELIVERY_REASON_MAX = 500;

export const PurchaseOrderBody = z.strictObject({
  supplierId: z.string().min(1, 'Choose a supplier.').max(64),
  notes: Text(1000).default(''),
  expectedAt: z.iso.date('Enter a real calendar date (YYYY-MM-DD).').nullable().default(null),
  supplierReference: z
    .string()
    .trim()
    .max(SUPPLIER_REFERENCE_MAX, `Use at most ${SUPPLIER_REFERENCE_MAX} characters.`)
    .nullable()
    .default(null)
    .transform((v) => v || null),
  lines: z
    .array(
      z.strictObject({
        itemId: z.string().max(64),
        quantity: Count('the quantity').refine((q) => q > 0, 'Order at least 1.'),
        unitCost: Money('unit cost'),
      }),
    )
    .min(1, 'Add at least one line.')
    .max(500)
    .superRefine((lines, ctx) => {
      let total = 0;
      lines.forEach((l, i) => {
        const line = l.quantity * l.unitCost;
        total += line;
        if (line > MAX_MONEY_MINOR) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'quantity'],
            message: `A line totals at most ${formatMinor(MAX_MONEY_MINOR)} (quantity × unit cost).`,
          });
        }
      });
      if (total > MAX_MONEY_MINOR) {
        ctx.addIssue({ code: 'custom', message: `An order totals at most ${formatMinor(MAX_MONEY_MINOR)}.` });
      }
    }),
});
export type PurchaseOrderBody = z.input<typeof PurchaseOrderBody>;

export const ReceiveBody = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        lineId: RowId,
        quantity: Count('the quantity received').refine((q) => q > 0, 'Receive at least 1.'),
        overDeliveryReason: z
          .string()
          .trim()
          .min(1, 'Say why more arrived than is due.')
          .max(OVER_DELIVERY_REASON_MAX, `Use at most ${OVER_DELIVERY_REASON_MAX} characters.`)
          .optional()
          .describe('required to receive more than is still due on the line: the extra goes into stock'),
      }),
    )
    .min(1, 'Receive at least one line.')
    .max(500),
  note: Text(300).optional(),
});
export type ReceiveBody = z.input<typeof ReceiveBody>;

export const SupplySuggestion = z.object({
  supplier: z.object({ id: z.string(), name: z.string() }).nullable(),
  lines: z.array(
    z.object({
      itemId: z.string(),
      sku: z.string(),
      name: z.string(),
      onHand: z.number().int(),
      reorderLevel: z.number().int(),
      quantity: z.number().int(),
      unitCost: z.number().int(),
    }),
  ),
});
/** Suggested orders come a page of supplier groups at a time; a group lists at most this many items. */
export const SUGGESTION_GROUPS_MAX = 50;
export const SUGGESTION_LINES_MAX = 500;
export const SupplySuggestionsQuery = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(SUGGESTION_GROUPS_MAX, `Ask for at most ${SUGGESTION_GROUPS_MAX} groups.`)
    .default(10),
});
export const SupplySuggestions = z.object({
  groups: z.array(
    SupplySuggestion.extend({
      count: z.number().int().describe('how many low-stock items this supplier is suggested for'),
      more: z.number().int().describe(`items of the group beyond the first ${SUGGESTION_LINES_MAX}, not listed`),
    }),
  ),
  totalGroups: z.number().int(),
  totalItems: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
});
export type SupplySuggestions = z.infer<typeof SupplySuggestions>;
