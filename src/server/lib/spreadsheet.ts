/**
 * Reading and writing tables as CSV (RFC 4180) and XLSX (ExcelJS), and JSON arrays. Writers
 * stream row by row, so an export's memory stays flat however many rows it has. Imports are read
 * by the import worker (import-worker.ts), which streams XLSX sheets under a memory ceiling.
 */
import { PassThrough, type Readable } from 'node:stream';
import type ExcelJS from 'exceljs';

export type Table = { columns: string[]; rows: string[][] };

/** Parses CSV text: quoted fields, doubled quotes, CRLF or LF, a leading BOM; `,` or `;` separated. */
export function parseCsv(text: string): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = src.slice(0, src.search(/\r?\n|$/));
  const sep = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('');
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('text' in value) return String(value.text);
    if ('error' in value) return '';
  }
  return String(value);
}

/** True when the bytes start like an XLSX (a ZIP) file. */
export function looksLikeXlsx(data: Buffer): boolean {
  return data.length > 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

/** One CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Streams rows as CSV text. */
export async function* csvLines(columns: readonly string[], rows: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  yield `${columns.map(csvField).join(',')}\r\n`;
  for await (const r of rows) yield `${r.map(csvField).join(',')}\r\n`;
}

/** Streams values as one JSON array, an element per line. */
export async function* jsonArrayLines(values: AsyncIterable<unknown>): AsyncGenerator<string> {
  yield '[\n';
  let first = true;
  for await (const v of values) {
    yield `${first ? '' : ',\n'}${JSON.stringify(v)}`;
    first = false;
  }
  yield '\n]\n';
}

/** Streams rows into an XLSX file (ExcelJS's streaming writer: rows are flushed as they come). */
export function xlsxStream(sheetName: string, columns: readonly string[], rows: AsyncIterable<unknown[]>): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      // Loaded on first use: ExcelJS adds about 25 MB to a process that never writes a spreadsheet.
      const { default: Excel } = await import('exceljs');
      const workbook = new Excel.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
      const sheet = workbook.addWorksheet(sheetName);
      sheet.addRow([...columns]).commit();
      for await (const r of rows) sheet.addRow(r).commit();
      sheet.commit();
      await workbook.commit();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}
