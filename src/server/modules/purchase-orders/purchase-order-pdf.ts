/**
 * A purchase order as a PDF, written by hand (issue 19, purchasing friction): A4 pages, the two
 * standard fonts every PDF reader has (Helvetica and Helvetica-Bold, so nothing is embedded),
 * text in WinAnsiEncoding, uncompressed content streams, and as many pages as the lines need.
 *
 * Why not a library: the document is one table of text. The pure-JS writers that would do it are
 * either large (pdfkit brings fontkit, a font parser, and more than 5 MB for features we would not
 * use) or no longer released (pdf-lib's last release is from 2021). What a table of text needs
 * from PDF 32000-1 is small: objects, a cross-reference table, a trailer (§7.5), a page tree
 * (§7.7.3), the standard 14 fonts (§9.6.2.2) and the `BT … Tj ET` text operators (§9.4). The
 * widths of Helvetica below (its AFM metrics, in 1/1000 em) let text be right-aligned and cut to
 * its column. Characters outside WinAnsi print as "?".
 *
 * Pure: no I/O, no clock; the caller gives every fact, already formatted where it is a date.
 */

import { quantity } from '../../../shared/quantities.ts';

export type OrderDocument = {
  /** The business and its contact details from Settings → Business (empty strings when not given). */
  business: { name: string; address: string; phone: string; email: string; taxId: string };
  reference: string;
  status: string;
  supplier: { name: string; contactName: string; email: string; phone: string; address: string };
  created: string;
  ordered: string | null;
  expected: string | null;
  supplierReference: string | null;
  notes: string;
  lines: { sku: string; supplierSku: string; name: string; quantity: number; unit: string; unitCost: number }[];
  total: number;
  /** Formats an amount of minor units in the business currency (WinAnsi-safe text). */
  money: (minor: number) => string;
  /** The date the document was made, as printed in its footer. */
  printed: string;
};

// --- text and fonts -------------------------------------------------------------------------------

/** Unicode → WinAnsiEncoding for the code points 0x80–0x9F that differ from Latin-1 (PDF 32000-1 Annex D). */
const WIN_ANSI_EXTRA: Record<number, number> = {
  8364: 0x80,
  8218: 0x82,
  402: 0x83,
  8222: 0x84,
  8230: 0x85,
  8224: 0x86,
  8225: 0x87,
  710: 0x88,
  8240: 0x89,
  352: 0x8a,
  8249: 0x8b,
  338: 0x8c,
  381: 0x8e,
  8216: 0x91,
  8217: 0x92,
  8220: 0x93,
  8221: 0x94,
  8226: 0x95,
  8211: 0x96,
  8212: 0x97,
  732: 0x98,
  8482: 0x99,
  353: 0x9a,
  8250: 0x9b,
  339: 0x9c,
  382: 0x9e,
  376: 0x9f,
};

/** Spaces that Intl and people type, printed as a plain space. */
const SPACES = new Set([0x09, 0x0a, 0x0d, 0x2007, 0x2009, 0x202f, 0x200a]);

/** The WinAnsi byte of one character, or null when it has none. */
function winAnsiByte(ch: string): number | null {
  const cp = ch.codePointAt(0) ?? 0x3f;
  if (SPACES.has(cp)) return 0x20;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return WIN_ANSI_EXTRA[cp] ?? null;
}

/** Whether every character of `s` can be printed in WinAnsi. */
export function isWinAnsi(s: string): boolean {
  return [...s].every((ch) => winAnsiByte(ch) !== null);
}

/** Text as WinAnsi bytes ("?" for a character it lacks). */
function encode(s: string): number[] {
  return [...s].map((ch) => winAnsiByte(ch) ?? 0x3f);
}

/** Helvetica's advance widths for the bytes 32–126 (Adobe's Helvetica AFM, WinAnsi order). */
// biome-ignore format: a table, one row per 16 characters
const HELVETICA_ASCII = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** The width of one byte in Helvetica: ASCII from the table, an accented letter as its base letter. */
function byteWidth(b: number): number {
  if (b >= 32 && b <= 126) return HELVETICA_ASCII[b - 32] ?? 556;
  if (b === 0xa0) return 278;
  if (b === 0x85) return 1000; // …
  const base = String.fromCharCode(b).normalize('NFD').charCodeAt(0);
  return base >= 32 && base <= 126 ? (HELVETICA_ASCII[base - 32] ?? 556) : 556;
}

type Font = 'F1' | 'F2'; // Helvetica, Helvetica-Bold
/** Bold glyphs run a little wider; an estimate on the safe side is enough to keep text in its box. */
const BOLD_FACTOR = 1.08;

/** The width of `s` in points at `size`. */
function textWidth(s: string, size: number, font: Font = 'F1'): number {
  const em = encode(s).reduce((sum, b) => sum + byteWidth(b), 0);
  return (em * size * (font === 'F2' ? BOLD_FACTOR : 1)) / 1000;
}

/** `s` cut to fit `width` points, ending in "…" when cut (one pass over its characters). */
function cut(s: string, width: number, size: number, font: Font = 'F1'): string {
  const clean = s.replace(/\s+/g, ' ').trim();
  if (textWidth(clean, size, font) <= width) return clean;
  const scale = (size * (font === 'F2' ? BOLD_FACTOR : 1)) / 1000;
  const room = width - byteWidth(0x85) * scale;
  const chars = [...clean];
  let used = 0;
  let n = 0;
  for (; n < chars.length; n++) {
    const w = byteWidth(winAnsiByte(chars[n] ?? '?') ?? 0x3f) * scale;
    if (used + w > room) break;
    used += w;
  }
  return `${chars.slice(0, n).join('').trimEnd()}…`;
}

/** A PDF literal string of the WinAnsi bytes: ASCII as is, the rest octal-escaped (§7.3.4.2). */
function literal(s: string): string {
  let out = '(';
  for (const b of encode(s)) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out})`;
}

// --- pages ----------------------------------------------------------------------------------------

const PAGE = { width: 595.28, height: 841.89 }; // A4
const MARGIN = 50;
const RIGHT = PAGE.width - MARGIN;
const BOTTOM = 64; // the lowest baseline of a line row; the footer sits below it
const ROW = 14;
const BODY = 8.5;

/** The table's columns: left-aligned text from `x`, or right-aligned numbers ending at `x + width`. */
const COLUMNS = [
  { key: 'sku', header: 'SKU', x: MARGIN, width: 78, align: 'left' },
  { key: 'supplierSku', header: 'Supplier SKU', x: 131, width: 72, align: 'left' },
  { key: 'name', header: 'Item', x: 206, width: 128, align: 'left' },
  { key: 'quantity', header: 'Qty', x: 337, width: 48, align: 'right' },
  { key: 'unitCost', header: 'Unit cost', x: 388, width: 76, align: 'right' },
  { key: 'lineTotal', header: 'Line total', x: 467, width: RIGHT - 467, align: 'right' },
] as const;

class Page {
  readonly ops: string[] = [];
  text(x: number, y: number, s: string, size = BODY, font: Font = 'F1'): void {
    if (s === '') return;
    this.ops.push(`BT /${font} ${num(size)} Tf ${num(x)} ${num(y)} Td ${literal(s)} Tj ET`);
  }
  /** Text ending at `right`, made smaller (to 60 %) when it would not fit `width`. */
  right(right: number, y: number, s: string, width: number, size = BODY, font: Font = 'F1'): void {
    let sz = size;
    while (sz > size * 0.6 && textWidth(s, sz, font) > width) sz -= 0.25;
    this.text(right - textWidth(s, sz, font), y, s, sz, font);
  }
  line(x1: number, y1: number, x2: number, y2: number, width = 0.5): void {
    this.ops.push(`${num(width)} w ${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S`);
  }
  fill(x: number, y: number, w: number, h: number, grey: number): void {
    this.ops.push(`q ${num(grey)} g ${num(x)} ${num(y)} ${num(w)} ${num(h)} re f Q`);
  }
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '').replace(/\.$/, ''));

/** Lays the order out on as many pages as it takes; returns each page's drawing operators. */
function layout(doc: OrderDocument): Page[] {
  const pages: Page[] = [];
  const newPage = () => {
    const p = new Page();
    pages.push(p);
    return p;
  };
  let page = newPage();
  let y = PAGE.height - MARGIN - 14;

  // Header: the business and the document's name and number.
  page.text(MARGIN, y, cut(doc.business.name, 300, 16, 'F2'), 16, 'F2');
  page.right(RIGHT, y, 'PURCHASE ORDER', 180, 14, 'F2');
  const headerTop = y;
  y -= 18;
  page.right(RIGHT, y, doc.reference, 180, 11, 'F2');
  // Under the name, the business's own contact details (what the supplier answers to).
  let by = headerTop - 16;
  const contact = [
    ...doc.business.address.split(/\r?\n/),
    [doc.business.phone, doc.business.email].filter((s) => s.trim()).join(' · '),
    doc.business.taxId.trim() ? `Tax no. ${doc.business.taxId.trim()}` : '',
  ]
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 7);
  for (const line of contact) {
    page.text(MARGIN, by, cut(line, 300, 8.5), 8.5);
    by -= 11;
  }
  y = Math.min(y, by) - 28 + (contact.length ? 11 : 0);

  // The supplier on the left, the order's facts on the right.
  const top = y;
  page.text(MARGIN, y, 'Supplier', 9, 'F2');
  y -= 13;
  const supplierLines = [
    doc.supplier.name,
    doc.supplier.contactName,
    ...doc.supplier.address.split(/\r?\n/),
    doc.supplier.email,
    doc.supplier.phone,
  ]
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 9);
  for (const [i, s] of supplierLines.entries()) {
    page.text(MARGIN, y, cut(s, 250, 9.5, i === 0 ? 'F2' : 'F1'), 9.5, i === 0 ? 'F2' : 'F1');
    y -= 12.5;
  }
  const facts: [string, string][] = [
    ['Order number', doc.reference],
    ['Status', doc.status],
    ['Created', doc.created],
    ['Ordered', doc.ordered ?? '—'],
    ['Expected delivery', doc.expected ?? '—'],
    ['Supplier reference', doc.supplierReference ?? '—'],
  ];
  let fy = top;
  for (const [label, value] of facts) {
    page.text(330, fy, label, 9, 'F2');
    page.text(430, fy, cut(value, RIGHT - 430, 9.5), 9.5);
    fy -= 13;
  }
  y = Math.min(y, fy) - 16;

  const tableHeader = () => {
    page.fill(MARGIN - 4, y - 4, RIGHT - MARGIN + 8, ROW + 2, 0.92);
    for (const c of COLUMNS) {
      if (c.align === 'left') page.text(c.x, y, c.header, BODY, 'F2');
      else page.right(c.x + c.width, y, c.header, c.width, BODY, 'F2');
    }
    y -= ROW + 2;
  };
  tableHeader();

  for (const l of doc.lines) {
    // A long item name takes a second line (and is cut after it); the row grows to hold it.
    const nameColumn = COLUMNS[2];
    const names = wrap(l.name, nameColumn.width - 3, BODY);
    const nameLines =
      names.length > 2 ? [names[0] ?? '', cut(names.slice(1).join(' '), nameColumn.width - 3, BODY)] : names;
    const extra = (Math.max(1, nameLines.length) - 1) * (BODY + 2);
    if (y - extra < BOTTOM) {
      page = newPage();
      y = PAGE.height - MARGIN - 14;
      page.text(MARGIN, y, `${doc.reference} (continued)`, 10, 'F2');
      page.right(RIGHT, y, cut(doc.supplier.name, 250, 10), 250, 10);
      y -= 22;
      tableHeader();
    }
    const values: Record<(typeof COLUMNS)[number]['key'], string> = {
      sku: l.sku,
      supplierSku: l.supplierSku,
      name: '', // written above, on up to two lines
      quantity: quantity(l.quantity, l.unit),
      unitCost: doc.money(l.unitCost),
      lineTotal: doc.money(l.quantity * l.unitCost),
    };
    for (const c of COLUMNS) {
      if (c.key === 'name') {
        for (const [i, n] of nameLines.entries()) page.text(c.x, y - i * (BODY + 2), n, BODY);
      } else if (c.align === 'left') page.text(c.x, y, cut(values[c.key], c.width - 3, BODY), BODY);
      else page.right(c.x + c.width, y, values[c.key], c.width - 2, BODY);
    }
    page.line(MARGIN - 4, y - extra - 4, RIGHT + 4, y - extra - 4, 0.25);
    y -= ROW + extra;
  }

  // The total (and the notes) after the last line, on a new page when there is no room left.
  const notes = wrap(doc.notes, RIGHT - MARGIN, 9).slice(0, 20);
  if (y - 30 - notes.length * 12 < BOTTOM - 20) {
    page = newPage();
    y = PAGE.height - MARGIN - 14;
    page.text(MARGIN, y, `${doc.reference} (continued)`, 10, 'F2');
    y -= 24;
  }
  y -= 6;
  page.line(330, y + 10, RIGHT + 4, y + 10, 0.75);
  page.text(330, y, `Total (${doc.lines.length} ${doc.lines.length === 1 ? 'line' : 'lines'})`, 10, 'F2');
  page.right(RIGHT, y, doc.money(doc.total), 140, 10, 'F2');
  y -= 26;
  if (notes.length > 0) {
    page.text(MARGIN, y, 'Notes', 9, 'F2');
    y -= 12;
    for (const n of notes) {
      page.text(MARGIN, y, n, 9);
      y -= 12;
    }
  }

  // Every page's footer: what it is and where it stands.
  for (const [i, p] of pages.entries()) {
    p.line(MARGIN, 44, RIGHT, 44, 0.25);
    p.text(MARGIN, 32, cut(`${doc.business.name} · ${doc.reference} · printed ${doc.printed}`, 380, 7.5), 7.5);
    p.right(RIGHT, 32, `Page ${i + 1} of ${pages.length}`, 100, 7.5);
  }
  return pages;
}

/** Text broken into lines of at most `width` points (words longer than a line are cut). */
function wrap(text: string, width: number, size: number): string[] {
  const out: string[] = [];
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (textWidth(next, size) <= width) line = next;
      else {
        if (line) out.push(line);
        line = cut(word, width, size);
      }
    }
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

// --- the file -------------------------------------------------------------------------------------

/** The order as a complete PDF 1.4 file. */
export function orderPdf(doc: OrderDocument): Buffer {
  const pages = layout(doc);
  // Objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then a page and its content per page.
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 6 + i * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  objects[4] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>';
  objects[5] = `<< /Title ${literal(`${doc.reference} · ${doc.supplier.name}`)} /Author ${literal(doc.business.name)} /Producer (Steward) >>`;
  for (const [i, p] of pages.entries()) {
    const content = p.ops.join('\n');
    const id = pageIds[i] ?? 0;
    objects[id] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE.width} ${PAGE.height}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${id + 1} 0 R >>`;
    objects[id + 1] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  }
  // Every operator is ASCII (other bytes are octal-escaped), so a character is a byte.
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = body.length;
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = body.length;
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
