/**
 * Imports and the rest of the server (reliability promise 30): a client polls the items list
 * over HTTP while a 50,000-row CSV import runs, then while a large XLSX import runs, and the
 * same poll runs with no import as the baseline. Printed: the poll's p50/p99/max latency and
 * the event loop's delay (perf_hooks) in each phase, the import's own time, and the ratios of
 * p99 during an import to p99 at rest. Last line: JSON.
 * Run: npm run bench:import   (ROWS=… to change the size, ENGINE=postgres with DATABASE_URL=…)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { buildApp } from '../src/server/app.ts';
import type { Config } from '../src/server/config.ts';
import { ITEM_COLUMNS } from '../src/server/modules/inventory/import-rows.ts';
import { quantile, seeded } from './support.ts';

const ROWS = Number(process.env.ROWS ?? 50_000);
const XLSX_ROWS = Number(process.env.XLSX_ROWS ?? ROWS);
const BASELINE_MS = Number(process.env.BASELINE_MS ?? 3000);
const POLL_EVERY_MS = 25;
const dir = mkdtempSync(path.join(tmpdir(), 'steward-import-bench-'));
const { rand } = seeded(0x1e0a);

const config: Config = {
  port: 0,
  host: '127.0.0.1',
  dataDir: dir,
  database:
    process.env.ENGINE === 'postgres'
      ? { kind: 'postgres', url: process.env.DATABASE_URL ?? '' }
      : { kind: 'sqlite', file: path.join(dir, 'steward.sqlite') },
  logLevel: 'silent',
  trustProxy: false,
  bcryptCost: 4,
  audit: {
    keyFile: path.join(dir, 'audit-signing-key.pem'),
    checkpointFile: path.join(dir, 'audit-checkpoints.jsonl'),
    checkpointMinutes: 0,
  },
  webDist: null,
  now: Date.now,
} as Config;

function row(i: number, prefix: string): string[] {
  return [
    `${prefix}-${String(i).padStart(6, '0')}`,
    `Bench item ${i} ${Math.floor(rand() * 1e6)}`,
    'Imported by the bench',
    '',
    'pcs',
    (rand() * 100).toFixed(2),
    (rand() * 200).toFixed(2),
    '23',
    'yes',
    `Aisle ${1 + Math.floor(rand() * 40)}`,
    String(Math.floor(rand() * 10)),
    String(Math.floor(rand() * 20)),
    String(Math.floor(rand() * 100)),
  ];
}

function csv(rows: number, prefix: string): Buffer {
  const lines = [ITEM_COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) lines.push(row(i, prefix).join(','));
  return Buffer.from(lines.join('\r\n'));
}

async function xlsx(rows: number, prefix: string): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: false });
  const sheet = wb.addWorksheet('Items');
  sheet.addRow([...ITEM_COLUMNS]).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(row(i, prefix)).commit();
  sheet.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

function multipart(filename: string, data: Buffer) {
  const boundary = `----bench${Math.random().toString(16).slice(2)}`;
  return {
    body: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

const app = await buildApp(config);
try {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1`;
  const setup = await fetch(`${base}/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      businessName: 'Bench',
      template: 'stores',
      admin: { name: 'Bench Admin', email: 'bench@example.com', password: 'Correct-Horse-9' },
    }),
  });
  if (setup.status !== 201) throw new Error(`setup: ${setup.status} ${await setup.text()}`);
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'Correct-Horse-9' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;

  /** Polls the items list until `until` settles; latencies and the event loop's delay meanwhile. */
  async function poll(until: Promise<unknown>) {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const ms: number[] = [];
    let failed = 0;
    let done = false;
    const started = performance.now();
    const finished = until.finally(() => {
      done = true;
    });
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${base}/items?pageSize=50&sort=name`, { headers: { cookie } });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
      ms.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
    }
    await finished;
    loop.disable();
    return {
      polls: ms.length,
      failed,
      p50: +quantile(ms, 0.5).toFixed(1),
      p99: +quantile(ms, 0.99).toFixed(1),
      max: +Math.max(...ms).toFixed(1),
      loopP99: +(loop.percentile(99) / 1e6).toFixed(1),
      loopMax: +(loop.max / 1e6).toFixed(1),
      secs: +((performance.now() - started) / 1000).toFixed(1),
    };
  }

  async function importFile(filename: string, data: Buffer) {
    const t = performance.now();
    const m = multipart(filename, data);
    const res = await fetch(`${base}/items/import`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': m.type },
      body: m.body,
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`import ${filename}: ${res.status} ${body.slice(0, 300)}`);
    return { status: res.status, secs: +((performance.now() - t) / 1000).toFixed(1), result: JSON.parse(body) };
  }

  // Something to list while polling.
  await importFile('seed.csv', csv(200, 'SEED'));
  const csvData = csv(ROWS, 'CSV');
  const xlsxData = await xlsx(XLSX_ROWS, 'XLS');

  const rest = await poll(new Promise((r) => setTimeout(r, BASELINE_MS)));
  console.log(
    `no import       poll p50 ${rest.p50} ms · p99 ${rest.p99} ms · max ${rest.max} ms · loop p99 ${rest.loopP99} ms`,
  );
  let csvImport: Awaited<ReturnType<typeof importFile>> | undefined;
  const duringCsv = await poll(
    importFile('bench.csv', csvData).then((r) => {
      csvImport = r;
    }),
  );
  console.log(
    `${ROWS.toLocaleString('en')}-row CSV (${(csvData.length / 1024 / 1024).toFixed(1)} MB) in ${csvImport?.secs} s · poll p50 ${duringCsv.p50} ms · p99 ${duringCsv.p99} ms · max ${duringCsv.max} ms · loop p99 ${duringCsv.loopP99} ms · ${duringCsv.failed} failed`,
  );
  let xlsxImport: Awaited<ReturnType<typeof importFile>> | undefined;
  const duringXlsx = await poll(
    importFile('bench.xlsx', xlsxData).then((r) => {
      xlsxImport = r;
    }),
  );
  console.log(
    `${XLSX_ROWS.toLocaleString('en')}-row XLSX (${(xlsxData.length / 1024 / 1024).toFixed(1)} MB) in ${xlsxImport?.secs} s · poll p50 ${duringXlsx.p50} ms · p99 ${duringXlsx.p99} ms · max ${duringXlsx.max} ms · loop p99 ${duringXlsx.loopP99} ms · ${duringXlsx.failed} failed`,
  );
  const ratio = (x: number) => +(x / Math.max(rest.p99, 0.1)).toFixed(1);
  console.log(
    `p99 during the CSV import: ${ratio(duringCsv.p99)}× rest; during the XLSX import: ${ratio(duringXlsx.p99)}×`,
  );
  console.log(
    JSON.stringify({
      engine: config.database.kind,
      rows: ROWS,
      xlsxRows: XLSX_ROWS,
      rest,
      csv: { sizeMB: +(csvData.length / 1024 / 1024).toFixed(1), import: csvImport, poll: duringCsv },
      xlsx: { sizeMB: +(xlsxData.length / 1024 / 1024).toFixed(1), import: xlsxImport, poll: duringXlsx },
      p99RatioCsv: ratio(duringCsv.p99),
      p99RatioXlsx: ratio(duringXlsx.p99),
      pollP99Under200ms: duringCsv.p99 < 200 && duringXlsx.p99 < 200,
      rssMB: +(process.memoryUsage().rss / 1024 / 1024).toFixed(0),
    }),
  );
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
