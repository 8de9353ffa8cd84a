/**
 * Steward over HTTP against the honest limit of each route, in one run:
 * - Steward itself (`steward serve`, a child process, default configuration);
 * - a minimal server doing the same work directly (bench/http/minimal-server.ts: Fastify and the
 *   same driver on the same database, the same key/session lookup, permission check, query and
 *   schema-serialised body); its bodies are checked byte for byte against Steward's first;
 * - a bare server replaying Steward's recorded bytes (bench/http/bare-server.ts).
 * autocannon drives the three in turn, route by route, twice (an identical second run shows memory
 * growth). Printed per route: req/s, p50/p99, and Steward's ratios to the minimal and the bare
 * server; each server's CPU time per request (user + system, from /proc: steadier than req/s when
 * other processes share the machine) and the minimal server's over Steward's; Steward's RSS at
 * idle (5 s without a request, after the bodies were compared), after the first and after the
 * second run. Last line: JSON.
 *
 * Run: npm run bench:http -- [--engine sqlite|postgres|both] [--seconds 2] [--items 100000]
 *                            [--connections 16] [--port-base 45000] [--log-level info]
 *                            [--routes list,search] [--keep]   (--keep: leave the SQLite data directory)
 *                            [--before]   (also a minimal server with the queries as they were before
 *                                          issue 20 part 3: the minimal server's figures before/after)
 *                            [--cpu-prof DIR]   (Steward and the minimal server under --cpu-prof; prints
 *                                                where the CPU went: self and total time)
 *                            [--rounds 1]   (rounds after the first; the table shows each figure's
 *                                            median over them: on a shared machine one round's
 *                                            ratios move by ±20 %)
 * PostgreSQL runs on a throwaway cluster (as `npm test` starts one) when its server binaries are
 * installed; `both` (the default) is then SQLite and PostgreSQL, else SQLite alone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import type { ItemSuppliersTable, ItemsTable } from '../src/server/db/schema.ts';
import { type Cluster, findPostgresBin, startCluster } from '../test/postgres.ts';
import { seeded } from './support.ts';

type AutocannonResult = {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  duration: number;
};
type AutocannonOptions = {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
};
const autocannon = createRequire(import.meta.url)('autocannon') as (o: AutocannonOptions) => Promise<AutocannonResult>;

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: findPostgresBin() ? 'both' : 'sqlite' },
    seconds: { type: 'string', default: '2' },
    items: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '16' },
    'port-base': { type: 'string', default: '45000' },
    'log-level': { type: 'string', default: 'info' },
    routes: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    before: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
  },
});
const SECONDS = Number(args.seconds);
const ITEMS = Number(args.items);
const CONNECTIONS = Number(args.connections);
const PORT_BASE = Number(args['port-base']);
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) throw new Error('--rounds is a whole number from 1 to 20');
const ENGINES = (args.engine === 'both' ? ['sqlite', 'postgres'] : [args.engine]) as ('sqlite' | 'postgres')[];
if (ENGINES.some((e) => e !== 'sqlite' && e !== 'postgres')) throw new Error('--engine is sqlite, postgres or both');
const PASSWORD = 'bench-Harbour-Lantern-42';
const EMAIL = 'bench@example.com';

// --- seeding ----------------------------------------------------------------------------------

const WORDS = ['nitrile', 'gloves', 'pipette', 'tips', 'ethanol', 'buffer', 'tube', 'falcon', 'petri', 'dish'];
const MORE = ['agar', 'saline', 'ink', 'needle', 'cartridge', 'black', 'red', 'sterile', 'swab', 'mask', 'beaker'];
const SIZES = ['S', 'M', 'L', 'XL', '10 ml', '50 ml', '1 L', '200 µl'];
/** The common word searched for: in about one name of ten. */
const COMMON = 'gloves';

/** Items, categories, suppliers and supplier links, written straight into the tables. */
async function seedInventory(database: Database, items: number): Promise<void> {
  const db = database.db;
  const { rand, pick } = seeded(0x5eed);
  const now = new Date().toISOString();
  const categories = Array.from({ length: 12 }, (_, i) => ({
    id: `cat-${i}`,
    name: `Category ${String(i).padStart(2, '0')}`,
    description: '',
    archived_at: null,
    created_at: now,
    updated_at: now,
  }));
  const suppliers = Array.from({ length: 6 }, (_, i) => ({
    id: `sup-${i}`,
    name: `Supplier ${i}`,
    contact_name: '',
    email: '',
    phone: '',
    address: '',
    notes: '',
    archived_at: null,
    created_at: now,
    updated_at: now,
  }));
  await db.insertInto('categories').values(categories).execute();
  await db.insertInto('suppliers').values(suppliers).execute();
  const BATCH = 500;
  for (let base = 0; base < items; base += 20 * BATCH) {
    await db.transaction().execute(async (trx) => {
      for (let start = base; start < Math.min(items, base + 20 * BATCH); start += BATCH) {
        const rows: ItemsTable[] = [];
        const links: ItemSuppliersTable[] = [];
        for (let i = start; i < Math.min(items, start + BATCH); i++) {
          const words = [pick(WORDS), pick(rand() < 0.5 ? WORDS : MORE), pick(SIZES)].join(' ');
          const name = words[0]?.toUpperCase() + words.slice(1);
          const sku = `SKU-${String(i).padStart(7, '0')}`;
          const location = `Aisle ${1 + Math.floor(rand() * 40)}`;
          rows.push({
            id: `item-${String(i).padStart(7, '0')}`,
            sku,
            name,
            description: '',
            category_id: rand() < 0.8 ? (pick(categories).id as string) : null,
            unit: 'pcs',
            cost: Math.floor(rand() * 5_000),
            price: Math.floor(rand() * 10_000),
            vat_rate_bp: 2300,
            price_includes_vat: 1,
            location,
            reorder_level: Math.floor(rand() * 10),
            reorder_quantity: 20,
            on_hand: 0,
            active: rand() < 0.95 ? 1 : 0,
            search_text: `${sku} ${name} ${location}`.toLowerCase(),
            search_id: i + 1,
            created_at: now,
            updated_at: now,
          });
          if (i % 3 === 0) {
            const a = pick(suppliers).id;
            links.push({
              item_id: rows.at(-1)?.id as string,
              supplier_id: a,
              supplier_sku: `S-${i}`,
              supplier_price: 100,
              preferred: 1,
            });
            const b = suppliers.find((s) => s.id !== a)?.id as string;
            links.push({
              item_id: rows.at(-1)?.id as string,
              supplier_id: b,
              supplier_sku: `T-${i}`,
              supplier_price: 120,
              preferred: 0,
            });
          }
        }
        await trx.insertInto('items').values(rows).execute();
        if (links.length > 0) await trx.insertInto('item_suppliers').values(links).execute();
      }
    });
  }
  await sql`analyze`.execute(db);
}

// --- processes ----------------------------------------------------------------------------------

const children: ChildProcess[] = [];

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`${what} did not answer ${url} within 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function start(what: string, file: string, argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const prof =
    args['cpu-prof'] && what !== 'bare server'
      ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'], what.replaceAll(' ', '-'))}`]
      : [];
  const child = spawn(process.execPath, [...prof, file, ...argv], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (code && code !== 0) console.error(`${what} exited with ${code} (${signal ?? ''}):\n${err}`);
  });
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * CPU time (user + system) a process has used, in ms (Linux /proc, clock ticks of 10 ms). Unlike
 * req/s it does not move when other processes take the CPU: the steadier figure on a shared machine.
 */
function cpuTimeMs(pid: number | undefined): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process, in MB (Linux /proc). */
function rssMB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return +(kb / 1024).toFixed(1);
}

// --- one engine -----------------------------------------------------------------------------------

type Route = { name: string; method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string };
/** cpuMs: the server process's CPU time (user + system, /proc) per answered request, in ms. */
type Figures = { rps: number; p50: number; p99: number; non2xx: number; errors: number; cpuMs: number };
type RouteResult = { route: string; steward: Figures; minimal: Figures; bare: Figures; before?: Figures };

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at byte ${i}: Steward …${JSON.stringify(a.slice(Math.max(0, i - 60), i + 60))}… minimal …${JSON.stringify(b.slice(Math.max(0, i - 60), i + 60))}…`;
}

/** The stock answer without what legitimately differs between two movements (ids, figures, times). */
function stockShape(body: string): unknown {
  const v = JSON.parse(body) as { item: Record<string, unknown>; movement: Record<string, unknown> };
  return {
    item: { ...v.item, onHand: '*', updatedAt: '*', lowStock: '*' },
    movement: { ...v.movement, id: '*', before: '*', after: '*', at: '*' },
  };
}

async function runEngine(engine: 'sqlite' | 'postgres', offset: number) {
  const dir = mkdtempSync(path.join(tmpdir(), `steward-http-bench-${engine}-`));
  const ports = {
    steward: PORT_BASE + offset,
    minimal: PORT_BASE + offset + 1,
    bare: PORT_BASE + offset + 2,
    before: PORT_BASE + offset + 4,
  };
  let cluster: Cluster | null = null;
  try {
    let databaseUrl = '';
    const dataDir = path.join(dir, 'data');
    if (engine === 'postgres') {
      const bin = findPostgresBin();
      if (!bin) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
      // Production durability (fsync on), as Steward runs: the minimal server pays the same.
      cluster = await startCluster(bin, { durable: true, port: PORT_BASE + offset + 3 });
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query('create database steward_bench');
      await admin.end();
      databaseUrl = cluster.url.replace(/\/postgres$/, '/steward_bench');
    }
    const env = {
      ...process.env,
      PORT: String(ports.steward),
      HOST: '127.0.0.1',
      STEWARD_DATA_DIR: dataDir,
      STEWARD_KEY_DIR: path.join(dir, 'keys'),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: args['log-level'],
    };
    const t0 = performance.now();
    writeFileSync(path.join(dir, 'pw.txt'), `${PASSWORD}\n`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    execFileSync(
      process.execPath,
      [
        'bin/steward.mjs',
        'init',
        '--template',
        'stores',
        '--admin-email',
        EMAIL,
        '--admin-password-file',
        path.join(dir, 'pw.txt'),
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const database = openDatabase(
      engine === 'sqlite'
        ? { kind: 'sqlite', file: path.join(dataDir, 'steward.sqlite') }
        : { kind: 'postgres', url: databaseUrl },
    );
    try {
      await migrateToLatest(database.db);
      await seedInventory(database, ITEMS);
      // The index the list used before issue 20 part 3, for the minimal server's "before" figures.
      if (args.before) {
        await database.db.schema
          .createIndex('items_active_idx')
          .ifNotExists()
          .on('items')
          .columns(['active', 'name'])
          .execute();
        // Statistics for it too, or the planner may take it for the current list query.
        await sql`analyze`.execute(database.db);
      }
    } finally {
      await database.close();
    }
    console.log(
      `[${engine}] seeded ${ITEMS.toLocaleString('en')} items in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const steward = start('Steward', 'bin/steward.mjs', ['serve'], env);
    const base = (port: number) => `http://127.0.0.1:${port}`;
    await waitFor(`${base(ports.steward)}/healthz`, steward, 'Steward');

    // A browser session (cookie) and an API key, made through Steward's own API.
    const login = await fetch(`${base(ports.steward)}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const made = await fetch(`${base(ports.steward)}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({
        name: 'bench',
        permissions: ['inventory.view', 'inventory.manage_stock', 'security.audit'],
      }),
    });
    if (made.status !== 201) throw new Error(`creating the API key answered ${made.status}: ${await made.text()}`);
    const { key } = (await made.json()) as { key: string };
    const bearer = { authorization: `Bearer ${key}` };

    const page = (await (await fetch(`${base(ports.steward)}/api/v1/items`, { headers: bearer })).json()) as {
      items: { id: string; suppliers: unknown[] }[];
    };
    const itemId = page.items.find((i) => i.suppliers.length > 0)?.id ?? page.items[0]?.id;
    const stockItem = page.items.at(-1)?.id;
    const routes: Route[] = [
      { name: '/healthz', method: 'GET', url: '/healthz', headers: {} },
      { name: '/api/v1/me (cookie)', method: 'GET', url: '/api/v1/me', headers: { cookie } },
      { name: 'item list, page of 50', method: 'GET', url: '/api/v1/items', headers: bearer },
      { name: 'item by id', method: 'GET', url: `/api/v1/items/${itemId}`, headers: bearer },
      { name: 'audit log, first page', method: 'GET', url: '/api/v1/audit', headers: bearer },
      {
        name: `search "${COMMON}"`,
        method: 'GET',
        url: `/api/v1/items?q=${COMMON}`,
        headers: bearer,
      },
      {
        name: 'stock movement POST',
        method: 'POST',
        url: `/api/v1/items/${stockItem}/stock`,
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'in', quantity: 1 }),
      },
    ].filter((r) => !args.routes || args.routes.split(',').some((w) => r.name.includes(w))) as Route[];

    const minimal = start(
      'minimal server',
      'bench/http/minimal-server.ts',
      [engine === 'sqlite' ? path.join(dataDir, 'steward.sqlite') : databaseUrl, String(ports.minimal)],
      env,
    );
    await waitFor(`${base(ports.minimal)}/healthz`, minimal, 'minimal server');
    if (args.before) {
      const before = start(
        'minimal server (before)',
        'bench/http/minimal-server.ts',
        [engine === 'sqlite' ? path.join(dataDir, 'steward.sqlite') : databaseUrl, String(ports.before)],
        { ...env, MINIMAL_VARIANT: 'before' },
      );
      await waitFor(`${base(ports.before)}/healthz`, before, 'minimal server (before)');
    }

    // Same bytes before any timing: each minimal server's body against Steward's.
    const recorded: Record<string, { status: number; contentType: string; body: string }> = {};
    for (const r of routes) {
      const call = async (port: number) => {
        const res = await fetch(`${base(port)}${r.url}`, {
          method: r.method,
          headers: r.headers,
          ...(r.body ? { body: r.body } : {}),
        });
        return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
      };
      const s = await call(ports.steward);
      const m = await call(ports.minimal);
      if (args.before) {
        const b = await call(ports.before);
        const same =
          r.method === 'POST'
            ? b.status === 200
            : b.body.replace(/"(freeBytes|freePercent)":[\d.]+/g, '') ===
              s.body.replace(/"(freeBytes|freePercent)":[\d.]+/g, '');
        if (!same) throw new Error(`${r.name}: the "before" minimal server differs ${firstDifference(s.body, b.body)}`);
      }
      if (s.status !== 200 || m.status !== 200) {
        throw new Error(
          `${r.name}: Steward answered ${s.status}, the minimal server ${m.status}\n${s.body}\n${m.body}`,
        );
      }
      // Free space moves between two measurements: /healthz is compared with its figures masked.
      const steady = (body: string) => body.replace(/"(freeBytes|freePercent)":[\d.]+/g, '"$1":0');
      const same =
        r.method === 'POST'
          ? JSON.stringify(stockShape(s.body)) === JSON.stringify(stockShape(m.body))
          : steady(s.body) === steady(m.body);
      if (!same) {
        throw new Error(
          `${r.name}: the minimal server's body differs from Steward's ${firstDifference(s.body, m.body)}`,
        );
      }
      recorded[`${r.method} ${r.url}`] = s;
    }
    console.log(`[${engine}] the minimal server's bodies equal Steward's for ${routes.length} routes`);
    writeFileSync(path.join(dir, 'recorded.json'), JSON.stringify(recorded));
    const bare = start(
      'bare server',
      'bench/http/bare-server.ts',
      [path.join(dir, 'recorded.json'), String(ports.bare)],
      env,
    );
    await waitFor(`${base(ports.bare)}/healthz`, bare, 'bare server');

    // Idle: nothing asked of Steward for 5 s after the bodies were compared.
    await new Promise((r) => setTimeout(r, 5000));
    const rss = { idle: rssMB(steward.pid), afterRun1: 0, afterRun2: 0 };
    const pids: Record<number, number | undefined> = {
      [ports.steward]: steward.pid,
      [ports.minimal]: minimal.pid,
      [ports.bare]: bare.pid,
      [ports.before]: children.find((c) => c.spawnargs.includes(String(ports.before)))?.pid,
    };
    const drive = async (port: number, r: Route): Promise<Figures> => {
      const cpu0 = cpuTimeMs(pids[port]);
      const res = await autocannon({
        url: `${base(port)}${r.url}`,
        connections: CONNECTIONS,
        duration: SECONDS,
        method: r.method,
        headers: r.headers,
        ...(r.body ? { body: r.body } : {}),
      });
      return {
        rps: Math.round(res.requests.total / Math.max(res.duration, 0.001)),
        p50: res.latency.p50,
        p99: res.latency.p99,
        non2xx: res.non2xx,
        errors: res.errors,
        cpuMs: +((cpuTimeMs(pids[port]) - cpu0) / Math.max(res.requests.total, 1)).toFixed(3),
      };
    };
    const runs: RouteResult[][] = [];
    for (let run = 1; run <= ROUNDS + 1; run++) {
      const results: RouteResult[] = [];
      for (const [i, r] of routes.entries()) {
        // Interleaved, the order rotating per route, so drift on a shared machine hits all three.
        const who: ('steward' | 'minimal' | 'bare' | 'before')[] = ['steward', 'minimal', 'bare'];
        if (args.before) who.push('before');
        const order = who.map((_, k) => who[(i + k + run) % who.length] as (typeof who)[number]);
        const out: Partial<RouteResult> = { route: r.name };
        for (const w of order) out[w] = await drive(ports[w], r);
        results.push(out as RouteResult);
      }
      if (run <= 2) rss[run === 1 ? 'afterRun1' : 'afterRun2'] = rssMB(steward.pid);
      runs.push(results);
    }

    await stop(steward);
    await stop(minimal);
    await stop(bare);
    // The minimal server's audit events are chained with Steward's hash function: the chain verifies.
    const verify = spawn(process.execPath, ['bin/steward.mjs', 'audit', 'verify'], { cwd: ROOT, env, stdio: 'pipe' });
    let verifyOut = '';
    verify.stdout.on('data', (d: Buffer) => {
      verifyOut += d.toString();
    });
    verify.stderr.on('data', (d: Buffer) => {
      verifyOut += d.toString();
    });
    const verifyCode = await new Promise<number | null>((r) => verify.once('exit', r));
    if (verifyCode !== 0) throw new Error(`the audit chain does not verify after the run: ${verifyOut}`);
    const stockCheck = spawn(process.execPath, ['bin/steward.mjs', 'check', 'stock'], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
    });
    const stockCode = await new Promise<number | null>((r) => stockCheck.once('exit', r));
    if (stockCode !== 0) throw new Error('on-hand figures differ from the stock ledger after the run');
    return {
      engine,
      routes: medianOf(runs.slice(1)),
      firstRun: runs[0] as RouteResult[],
      rss,
      auditVerifies: verifyOut.trim(),
    };
  } finally {
    for (const c of children.splice(0)) await stop(c);
    cluster?.stop();
    if (args.keep) console.log(`[${engine}] kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Each route's figures as the median of the rounds after the first (the first is in the JSON). */
function medianOf(rounds: RouteResult[][]): RouteResult[] {
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const first = rounds[0] ?? [];
  return first.map((route, i) => {
    const of = (who: 'steward' | 'minimal' | 'bare' | 'before'): Figures | undefined => {
      const all = rounds.map((r) => r[i]?.[who]).filter((f): f is Figures => f !== undefined);
      if (all.length === 0) return undefined;
      const m = (k: keyof Figures) => +median(all.map((f) => f[k])).toFixed(k === 'cpuMs' ? 3 : 0);
      return {
        rps: m('rps'),
        p50: m('p50'),
        p99: m('p99'),
        non2xx: m('non2xx'),
        errors: m('errors'),
        cpuMs: m('cpuMs'),
      };
    };
    const before = of('before');
    return {
      route: route.route,
      steward: of('steward') as Figures,
      minimal: of('minimal') as Figures,
      bare: of('bare') as Figures,
      ...(before ? { before } : {}),
    };
  });
}

/**
 * The functions with the most self time, and those with the most total time (themselves and what
 * they call), as shares of the busy samples (idle left out): where a request's CPU goes.
 */
function profileSummary(dir: string, n = 15): string[] {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
      nodes: {
        id: number;
        children?: number[];
        callFrame: { functionName: string; url: string; lineNumber: number };
      }[];
      samples: number[];
    };
    const names = new Map(
      p.nodes.map((x) => {
        const f = x.callFrame;
        const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
        return [x.id, `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`] as const;
      }),
    );
    const parent = new Map<number, number>();
    for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
    for (const id of p.samples) {
      const name = names.get(id) ?? '?';
      if (name.startsWith('(idle)')) continue;
      busy++;
      self.set(name, (self.get(name) ?? 0) + 1);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const up = names.get(at) ?? '?';
        if (up.startsWith('(root)') || seen.has(up)) continue;
        seen.add(up);
        total.set(up, (total.get(up) ?? 0) + 1);
      }
    }
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, k]) => `${((100 * k) / Math.max(busy, 1)).toFixed(1).padStart(5)} %  ${name}`);
  return [
    `${busy} busy samples; self time, % of them:`,
    ...top(self),
    'total time (with callees), % of busy samples:',
    ...top(total),
  ];
}

// --- report -----------------------------------------------------------------------------------------

const ratio = (a: number, b: number) => +(a / Math.max(b, 1e-9)).toFixed(2);
const report = [];
for (const [i, engine] of ENGINES.entries()) {
  const r = await runEngine(engine, i * 10);
  console.log(
    `\n[${engine}] ${CONNECTIONS} connections, ${SECONDS} s per server and route, ${ROUNDS === 1 ? 'second run' : `median of ${ROUNDS} rounds after the first`} (first run in the JSON)`,
  );
  console.log(
    `${'route'.padEnd(26)} ${'Steward req/s'.padStart(13)} ${'p50/p99 ms'.padStart(11)} │ ${'minimal'.padStart(8)} ${'p50/p99'.padStart(9)} │ ${'bare'.padStart(7)} ${'p50/p99'.padStart(7)} │ ÷minimal  p99×minimal  ÷bare │ CPU ms/req Steward, minimal, minimal÷Steward`,
  );
  const rows = r.routes.map((x) => {
    const row = {
      route: x.route,
      steward: x.steward,
      minimal: x.minimal,
      bare: x.bare,
      ...(x.before ? { minimalBefore: x.before } : {}),
      toMinimal: ratio(x.steward.rps, x.minimal.rps),
      // autocannon reports whole milliseconds: below 1 ms counts as 1 (else 1 ms over 0 ms is infinite).
      p99ToMinimal: ratio(Math.max(x.steward.p99, 1), Math.max(x.minimal.p99, 1)),
      toBare: ratio(x.steward.rps, x.bare.rps),
      /** The minimal server's CPU per request over Steward's: Steward's share of its limit, by CPU. */
      cpuToMinimal: ratio(x.minimal.cpuMs, x.steward.cpuMs),
    };
    const lat = (f: Figures) => `${f.p50}/${f.p99}`;
    const bad = [x.steward, x.minimal, x.bare].some((f) => f.non2xx > 0 || f.errors > 0)
      ? '  (non-2xx or errors!)'
      : '';
    console.log(
      `${x.route.padEnd(26)} ${String(x.steward.rps).padStart(13)} ${lat(x.steward).padStart(11)} │ ${String(x.minimal.rps).padStart(8)} ${lat(x.minimal).padStart(9)} │ ${String(x.bare.rps).padStart(7)} ${lat(x.bare).padStart(7)} │ ${String(row.toMinimal).padStart(8)} ${String(row.p99ToMinimal).padStart(12)} ${String(row.toBare).padStart(6)} │ ${x.steward.cpuMs.toFixed(3)} ${x.minimal.cpuMs.toFixed(3)} ${String(row.cpuToMinimal).padStart(5)}${bad}`,
    );
    return row;
  });
  if (args.before) {
    console.log(`[${engine}] the minimal server before → after issue 20 part 3 (same run):`);
    for (const x of r.routes) {
      if (!x.before) continue;
      console.log(
        `  ${x.route.padEnd(26)} ${String(x.before.rps).padStart(6)} → ${String(x.minimal.rps).padStart(6)} req/s (×${ratio(x.minimal.rps, x.before.rps)})  p99 ${x.before.p99} → ${x.minimal.p99} ms`,
      );
    }
  }
  console.log(
    `[${engine}] Steward RSS: idle ${r.rss.idle} MB, after the first run ${r.rss.afterRun1} MB, after the second ${r.rss.afterRun2} MB (growth ${(r.rss.afterRun2 - r.rss.afterRun1).toFixed(1)} MB)`,
  );
  console.log(`[${engine}] ${r.auditVerifies}`);
  report.push({ engine, routes: rows, firstRun: r.firstRun, rssMB: r.rss });
  if (args['cpu-prof']) {
    for (const who of ['Steward', 'minimal-server']) {
      const dir = path.resolve(args['cpu-prof'], who);
      console.log(`[${engine}] ${who}: where the CPU went (${dir})\n  ${profileSummary(dir, 25).join('\n  ')}`);
      if (!args.keep) rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log(JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, items: ITEMS, engines: report }));
