/**
 * The import worker: reads an uploaded CSV or XLSX file and checks its rows, off the main thread
 * and under a memory ceiling (see import-reader.ts). Receives { data } (the file's bytes), answers
 * { ok: true, analysis } or { ok: false, status, title, detail }.
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import ExcelJS from 'exceljs';
import { analyseTable, checkShape, ImportShapeError } from '../modules/inventory/import-rows.ts';
import { cellText, looksLikeXlsx, parseCsv } from './spreadsheet.ts';
import { zipProblem } from './zip-check.ts';

type Refusal = { ok: false; status: number; title: string; detail: string };

function refuse(status: number, title: string, detail: string): Refusal {
  return { ok: false, status, title, detail };
}

/** The first worksheet, streamed: stops reading as soon as it has more rows or columns than allowed. */
async function readXlsx(data: Buffer): Promise<string[][]> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([data]), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  const rows: string[][] = [];
  for await (const sheet of reader) {
    for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
      const values = (row.values as ExcelJS.CellValue[]).slice(1);
      checkShape(rows.length + 1, values.length, 0);
      const texts = Array.from({ length: values.length }, (_, i) => cellText(values[i] ?? null));
      checkShape(rows.length + 1, values.length, Math.max(0, ...texts.map((t) => t.length)));
      if (texts.some((f) => f.trim() !== '')) rows.push(texts);
    }
    break; // the first worksheet only
  }
  return rows;
}

function readCsv(data: Buffer): string[][] {
  const rows = parseCsv(data.toString('utf8'));
  checkShape(
    rows.length,
    rows.reduce((m, r) => Math.max(m, r.length), 0),
    rows.reduce((m, r) => r.reduce((n, f) => Math.max(n, f.length), m), 0),
  );
  return rows;
}

async function handle(data: Buffer) {
  if (looksLikeXlsx(data)) {
    const problem = zipProblem(data);
    if (problem) {
      return refuse(413, 'Workbook refused', `The workbook was refused before reading it: ${problem}.`);
    }
    try {
      return { ok: true as const, analysis: analyseTable(await readXlsx(data)) };
    } catch (err) {
      if (err instanceof ImportShapeError) return refuse(413, 'Sheet too large', err.message);
      return refuse(422, 'Not a readable workbook', 'The file could not be read as an XLSX workbook.');
    }
  }
  if (data.includes(0)) {
    return refuse(
      422,
      'Not a spreadsheet',
      'The file is neither CSV text nor an XLSX workbook; upload a .csv or .xlsx file.',
    );
  }
  try {
    return { ok: true as const, analysis: analyseTable(readCsv(data)) };
  } catch (err) {
    if (err instanceof ImportShapeError) return refuse(413, 'Sheet too large', err.message);
    throw err;
  }
}

parentPort?.once('message', (message: { data: Uint8Array }) => {
  const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  handle(data).then(
    (result) => parentPort?.postMessage(result),
    () => parentPort?.postMessage(refuse(422, 'Not readable', 'The file could not be read as a CSV or XLSX table.')),
  );
});
