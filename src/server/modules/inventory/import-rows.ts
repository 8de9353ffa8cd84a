/**
 * An item import's rows, read from a table of text and checked by the API's own item rules
 * (ItemImportRow): no database, no I/O, so it runs in the import worker thread.
 */
import { grouped, MAX_STOCK } from '../../../shared/contracts/bounds.ts';
import { ItemImportRow } from '../../../shared/contracts/inventory.ts';

/** Columns of exports and imports, in order; an export imports back unchanged. */
export const ITEM_COLUMNS = [
  'sku',
  'name',
  'description',
  'category',
  'unit',
  'cost',
  'price',
  'vat_rate',
  'price_includes_vat',
  'location',
  'reorder_level',
  'reorder_quantity',
  'on_hand',
  'supplier',
  'supplier_sku',
  'supplier_price',
] as const;

/** At most this many data rows per import. */
export const MAX_IMPORT_ROWS = 50_000;
/** At most this many columns (the item columns, with room for a few the user added). */
export const MAX_IMPORT_COLUMNS = 64;
/** At most this many characters in one cell (the longest field, a description, takes 2,000). */
export const MAX_IMPORT_CELL = 10_000;

export type ImportProblem = { row: number; column: string; message: string };

/**
 * One row as read: the fields it sets (API names), its category's name, its on-hand figure, and
 * the name of its preferred supplier (whose SKU and price are `fields.supplierSku`/`supplierPrice`).
 */
export type ImportedRow = {
  rowNo: number;
  sku: string;
  fields: Partial<ItemImportRow>;
  category: string | null;
  onHand: number | null;
  supplier: string | null;
};

export type ImportAnalysis = {
  columns: string[];
  rows: ImportedRow[];
  errors: ImportProblem[];
  sample: string[][];
};

/** The table's shape is refused as a whole (too many rows, columns or characters). */
export class ImportShapeError extends Error {
  override name = 'ImportShapeError';
}

/** "12.50", "12,5", "12" → 1250; null when it is not an amount. */
export function parseMoney(s: string): number | null {
  const t = s.trim().replace(/\s/g, '');
  if (!/^\d+([.,]\d{1,2})?$/.test(t)) return null;
  const [whole = '0', fraction = ''] = t.split(/[.,]/);
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

function parseWhole(s: string): number | null {
  const t = s.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

function parseFlag(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  if (['yes', 'y', 'true', '1', 'sim', 'ja', 'oui'].includes(t)) return true;
  if (['no', 'n', 'false', '0', 'não', 'nao', 'nein', 'non'].includes(t)) return false;
  return null;
}

/** Which column feeds which field of ItemImportRow, and how its text is read. */
const FIELDS: Record<string, { key: keyof ItemImportRow; read: (s: string) => unknown; bad: (s: string) => string }> = {
  description: { key: 'description', read: (s) => s, bad: () => '' },
  unit: { key: 'unit', read: (s) => s, bad: () => '' },
  location: { key: 'location', read: (s) => s, bad: () => '' },
  cost: { key: 'cost', read: parseMoney, bad: (s) => `"${s}" is not an amount such as 12.50.` },
  price: { key: 'price', read: parseMoney, bad: (s) => `"${s}" is not an amount such as 12.50.` },
  vat_rate: {
    key: 'vatRateBp',
    read: (s) => {
      const t = s.replace('%', '').replace(',', '.').trim();
      return /^\d+(\.\d{1,2})?$/.test(t) ? Math.round(Number(t) * 100) : null;
    },
    bad: (s) => `"${s}" is not a VAT rate between 0 and 100.`,
  },
  price_includes_vat: { key: 'priceIncludesVat', read: parseFlag, bad: () => 'Use yes or no.' },
  reorder_level: {
    key: 'reorderLevel',
    read: parseWhole,
    bad: (s) => `"${s}" is not a whole number of 0 or more.`,
  },
  reorder_quantity: {
    key: 'reorderQuantity',
    read: parseWhole,
    bad: (s) => `"${s}" is not a whole number of 0 or more.`,
  },
  supplier_sku: { key: 'supplierSku', read: (s) => s, bad: () => '' },
  supplier_price: { key: 'supplierPrice', read: parseMoney, bad: (s) => `"${s}" is not an amount such as 12.50.` },
};
const COLUMN_OF: Record<string, string> = {
  sku: 'sku',
  name: 'name',
  openingStock: 'on_hand',
  ...Object.fromEntries(Object.entries(FIELDS).map(([column, f]) => [f.key, column])),
};

/** Checks the table's size before anything else reads it. */
export function checkShape(rowCount: number, columnCount: number, longestCell: number): void {
  if (rowCount > MAX_IMPORT_ROWS + 1) {
    throw new ImportShapeError(
      `The sheet has more than ${grouped(MAX_IMPORT_ROWS)} rows; split it into several imports.`,
    );
  }
  if (columnCount > MAX_IMPORT_COLUMNS) {
    throw new ImportShapeError(
      `The sheet has ${columnCount} columns; an item import uses at most ${MAX_IMPORT_COLUMNS}.`,
    );
  }
  if (longestCell > MAX_IMPORT_CELL) {
    throw new ImportShapeError(`A cell holds ${grouped(longestCell)} characters; at most ${grouped(MAX_IMPORT_CELL)}.`);
  }
}

/** Reads and checks every row of a table (header first) by the API's item rules. */
export function analyseTable(table: string[][]): ImportAnalysis {
  const [header, ...rows] = table;
  const errors: ImportProblem[] = [];
  if (!header)
    return { columns: [], rows: [], errors: [{ row: 1, column: '', message: 'The file has no rows.' }], sample: [] };
  const columns = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  const known = new Set<string>(ITEM_COLUMNS);
  for (const c of columns)
    if (c && !known.has(c)) errors.push({ row: 1, column: c, message: `Unknown column "${c}".` });
  for (const need of ['sku', 'name']) {
    if (!columns.includes(need)) errors.push({ row: 1, column: need, message: `The column "${need}" is required.` });
  }
  const at = new Map(columns.map((c, i) => [c, i] as const));
  const seen = new Map<string, number>();
  const parsed: ImportedRow[] = [];
  rows.forEach((r, i) => {
    const rowNo = i + 2;
    const cell = (c: string) => (at.has(c) ? (r[at.get(c) as number] ?? '').trim() : '');
    const bad = (column: string, message: string) => errors.push({ row: rowNo, column, message });
    const candidate: Record<string, unknown> = { sku: cell('sku'), name: cell('name') };
    for (const [column, f] of Object.entries(FIELDS)) {
      const text = cell(column);
      if (text === '') continue;
      const value = f.read(text);
      if (value === null) bad(column, f.bad(text));
      else candidate[f.key] = value;
    }
    let onHand: number | null = null;
    const stock = cell('on_hand');
    if (stock !== '') {
      // Existing items may show a negative figure (when the setting allows it); new ones start at 0 or more.
      if (!/^-?\d+$/.test(stock) || Math.abs(Number(stock)) > MAX_STOCK) {
        bad('on_hand', `"${stock}" is not a whole number of 0 or more.`);
      } else onHand = Number(stock);
    }
    const checked = ItemImportRow.safeParse(candidate);
    if (!checked.success) {
      const reported = new Set<string>();
      for (const issue of checked.error.issues) {
        const key = String(issue.path[0] ?? '');
        if (reported.has(key)) continue; // the first problem of each cell is enough
        reported.add(key);
        bad(COLUMN_OF[key] ?? key, issue.message);
      }
    }
    const supplier = cell('supplier') || null;
    if (!supplier) {
      for (const column of ['supplier_sku', 'supplier_price']) {
        if (cell(column) !== '') bad(column, 'Name the supplier in the "supplier" column, or leave this cell empty.');
      }
    }
    const sku = cell('sku');
    if (checked.success || !checked.error.issues.some((e) => e.path[0] === 'sku')) {
      if (seen.has(sku)) bad('sku', `This SKU is also on row ${seen.get(sku)}.`);
      else seen.set(sku, rowNo);
    }
    parsed.push({
      rowNo,
      sku,
      fields: checked.success ? checked.data : {},
      category: cell('category') || null,
      onHand,
      supplier,
    });
  });
  return { columns, rows: parsed, errors, sample: rows.slice(0, 5) };
}
