/**
 * Issue 10, M7 / reliability promise 30: imports are read in a worker thread under a memory
 * ceiling; zip bombs and oversized sheets are refused with a clear message; the server keeps
 * answering other requests while a large import is read and written. On every engine.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IMPORT_ROWS } from '../src/server/modules/inventory/import-rows.ts';
import { multipart, zipOf } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, sessionHeaders } from './net.ts';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function csvRows(n: number, prefix: string): string {
  const lines = ['sku,name,cost,price,on_hand'];
  for (let i = 0; i < n; i++) lines.push(`${prefix}-${i},Item ${i},1.50,2.99,3`);
  return lines.join('\n');
}

describe.each(ENGINES)('bounded imports on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  /** Sends `file` to `url` over HTTP while polling the items list; every poll's status and the longest gap. */
  async function whilePolling(url: string, filename: string, data: Buffer | string, type = 'text/csv') {
    const m = multipart(filename, data, type);
    let done = false;
    const statuses: number[] = [];
    let gap = 0;
    const upload = fetch(`${base}${url}`, {
      method: 'POST',
      headers: { ...sessionHeaders(admin), ...m.headers },
      body: m.payload,
    }).finally(() => {
      done = true;
    });
    const polling = (async () => {
      let last = performance.now();
      while (!done) {
        const res = await fetch(`${base}/api/v1/items?pageSize=20`, { headers: { cookie: admin.cookie } });
        await res.arrayBuffer();
        statuses.push(res.status);
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const res = await upload;
    const body = (await res.json()) as Record<string, unknown>;
    await polling;
    return { status: res.status, body, statuses, gap };
  }

  it('refuses a zip bomb before inflating it, with a clear message', async () => {
    // 64 MB of one repeated byte deflates to ~64 KB: a thousandfold.
    const bomb = zipOf([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(64 * 1024 * 1024, 0x41) },
    ]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('bomb.xlsx', bomb, XLSX_TYPE),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().detail).toMatch(/refused before reading it: .*(zip bomb|expands to more than)/);
    // The server is fine afterwards.
    expect((await admin.inject({ method: 'GET', url: '/api/v1/items' })).statusCode).toBe(200);
  });

  it('refuses sheets with too many rows or columns with 413 and a clear message', async () => {
    const rows = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('rows.csv', csvRows(MAX_IMPORT_ROWS + 1, 'R')),
    });
    expect(rows.statusCode).toBe(413);
    expect(rows.json().detail).toBe('The sheet has more than 50,000 rows; split it into several imports.');
    const wide = ['sku,name', ...Array.from({ length: 3 }, (_, i) => `W-${i},Wide${',x'.repeat(200)}`)].join('\n');
    const cols = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('wide.csv', wide),
    });
    expect(cols.statusCode).toBe(413);
    expect(cols.json().detail).toMatch(/202 columns; an item import uses at most 64/);

    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Items');
    sheet.addRow(['sku', 'name']);
    for (let i = 0; i < 3; i++) sheet.addRow([`X-${i}`, 'Wide', ...Array(200).fill('x')]);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const wideXlsx = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('wide.xlsx', xlsx, XLSX_TYPE),
    });
    expect(wideXlsx.statusCode).toBe(413);
    expect(wideXlsx.json().detail).toMatch(/columns; an item import uses at most 64/);
  }, 120_000);

  it('refuses an XLSX with a price or cost of 10^20 (numeric cells) and writes nothing', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Items');
    sheet.addRow(['sku', 'name', 'cost', 'price']);
    sheet.addRow(['XBIG-1', 'Huge price', 1, 1e20]);
    sheet.addRow(['XBIG-2', 'Huge cost', 1e20, 1]);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      ...multipart('big.xlsx', xlsx, XLSX_TYPE),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/items?q=XBIG' })).json().total).toBe(0);
  });

  it('answers a 15 MB XLSX clearly, within the memory ceiling, while the items list keeps answering', async () => {
    // Hard-to-compress descriptions make a workbook of about 15 MB with rows under the row limit.
    // Letters and digits only, so no cell reads as anything but text.
    const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const noise = (n: number) => `d${[...randomBytes(n - 1)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false });
    const sheet = writer.addWorksheet('Items');
    sheet.addRow(['sku', 'name', 'description', 'cost', 'price']).commit();
    for (let i = 0; i < 40_000; i++) {
      sheet.addRow([`HUGE-${i}`, `Item ${i}`, noise(450), 1.5, 2.99]).commit();
    }
    sheet.commit();
    await writer.commit();
    const xlsx = Buffer.concat(chunks);
    expect(xlsx.length).toBeGreaterThan(14 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    const { status, body, statuses, gap } = await whilePolling(
      '/api/v1/items/import/preview',
      'huge.xlsx',
      xlsx,
      XLSX_TYPE,
    );
    clearInterval(sampler);
    console.log(
      `15 MB XLSX: ${xlsx.length} bytes, answer ${status}, polls ${statuses.length}, longest gap ${Math.round(gap)} ms, RSS +${Math.round((rssPeak - rssBefore) / 1048576)} MB`,
    );
    // Either read (it is under the row limit) or refused with a message a person understands.
    if (status !== 200) console.log(JSON.stringify(body).slice(0, 600));
    if (status === 200) expect(body).toMatchObject({ rows: 40_000, errors: [] });
    else {
      expect(status).toBe(413);
      expect(String(body.detail)).toMatch(/./);
    }
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(gap).toBeLessThan(2000);
    // The reported bug took the server to about 3 GB; the worker's heap is capped at 256 MB.
    expect(rssPeak - rssBefore).toBeLessThan(600 * 1024 * 1024);
  }, 240_000);

  it('reads a 50,000-row CSV in a worker while the items list keeps answering', async () => {
    const { status, body, statuses, gap } = await whilePolling(
      '/api/v1/items/import/preview',
      'big.csv',
      csvRows(MAX_IMPORT_ROWS, 'BIG'),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ rows: MAX_IMPORT_ROWS, creates: MAX_IMPORT_ROWS, errors: [] });
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Generous: the machine running the tests may be busy; a blocked loop stalls for many seconds.
    expect(gap).toBeLessThan(2000);
  }, 120_000);

  it('imports hundreds of rows while the items list keeps answering, every row on the ledger', async () => {
    const n = 600;
    const { status, body, statuses, gap } = await whilePolling('/api/v1/items/import', 'many.csv', csvRows(n, 'MANY'));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ created: n, updated: 0 });
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(gap).toBeLessThan(2000);
    const list = await admin.inject({ method: 'GET', url: '/api/v1/items?q=MANY-&pageSize=1' });
    expect(list.json().total).toBe(n);
    // The same file again: every row is now an update of the same values (re-running finishes an import).
    const again = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      ...multipart('many.csv', csvRows(n, 'MANY')),
    });
    expect(again.json()).toEqual({ created: 0, updated: n });
  }, 180_000);
});
