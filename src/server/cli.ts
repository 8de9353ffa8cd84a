import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SetupBody } from '../shared/contracts/setup.ts';
import { compose, composeCore, composeServices } from './compose.ts';
import { ConfigError, loadConfig } from './config.ts';
import { migrateToLatest, openDatabase } from './db/database.ts';
import { ServerLockError } from './db/server-lock.ts';
import { HttpError } from './http/errors.ts';
import { contextFor } from './modules/context.ts';
import { stockDiscrepancies } from './modules/inventory/inventory.repository.ts';
import { listAdministrators, RecoveryError, recoverAdmin } from './modules/users/recovery.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const USAGE = `Usage: steward <command> [options]

Commands:
  serve     Start the server (HTTP API and web app)
  init      First-run setup without the browser (for automation)
  migrate   Apply pending database migrations
  audit     Verify the audit log, or write a signed checkpoint
  check     Consistency checks (check stock: on-hand figures against the stock ledger)
  admin     Locked out? List administrators, reset one's password, give the Admin role back
  dev       Start the server and the web app with hot reload (development)

Run \`steward <command> --help\` for the options of a command.
Configuration comes from environment variables; see .env.example.`;

const HELP: Record<string, string> = {
  serve: `Usage: steward serve [--build-web]

Starts Steward on PORT (default 3000) and HOST (default 127.0.0.1), applying pending
migrations first. Data lives in STEWARD_DATA_DIR (default ./data) unless DATABASE_URL
points at PostgreSQL.

Options:
  --build-web   Build the web app first if its sources changed since the last build
  -h, --help    Show this help`,
  init: `Usage: steward init --template <studio|stores> --admin-email <email> --admin-password-file <file> [options]

Performs first-run setup: the business, its built-in roles and modules, and the first admin.
Refuses to run when setup was already done. There are no default credentials.

Options:
  --template <studio|stores>     Business template (required)
  --admin-email <email>          Email of the first admin (required)
  --admin-password-file <file>   File holding the admin's password, first line (required; use - for stdin)
  --admin-name <name>            Display name of the first admin (default: the email's local part)
  --business-name <name>         Business name (default: "Steward")
  --timezone <tz>                Business time zone, e.g. Europe/Lisbon (default: UTC)
  --currency <code>              ISO currency code (default: EUR)
  --demo-data                    Add demo staff accounts (no password until an admin sets one)
  -h, --help                     Show this help`,
  migrate: `Usage: steward migrate

Applies every pending migration to the configured database and lists what ran.

Options:
  -h, --help    Show this help`,
  audit: `Usage: steward audit <verify|checkpoint>

  verify       Recompute the audit log's hash chain from the first event and check it against
               the newest signed checkpoint. Prints the first broken sequence number and exits
               1 when the log was tampered with; exits 0 when it verifies.
  checkpoint   Sign the current head of the chain now (the server also does this every
               STEWARD_AUDIT_CHECKPOINT_MINUTES).

The signing key is STEWARD_AUDIT_KEY_FILE (default <STEWARD_KEY_DIR>/audit-signing-key.pem, ./keys).
There is no command that edits or deletes events.

Options:
  -h, --help    Show this help`,
  admin: `Usage: steward admin list
       steward admin recover --email <email> [--reset-password] [--restore-admin] [--reset-two-factor]

For a business locked out of its own accounts; run it on the server's machine, with the same
configuration as the server (it works beside a running server). Every recovery is one audit
event, users.recovered, naming the operating-system user who ran it.

  list                List the administrators: who holds the whole administrative set (view and
                      edit users, manage permissions, open the permission settings), and who has
                      the Admin role; with their state (active, locked).
  recover             Unlocks the account and ends its sessions, and:
    --reset-password  sets a one-time temporary password, printed once; it must be changed at
                      the next sign-in (the account's API keys are revoked, as with any reset)
    --restore-admin   gives the account the Admin role again, reactivates it, and lifts its
                      explicit denies
    --reset-two-factor
                      turns off the account's two-step sign-in (a lost phone and lost recovery
                      codes); if required for its role, it sets up a new app at its next sign-in

Options:
  -h, --help    Show this help`,
  check: `Usage: steward check stock

  stock   Compares every item's on-hand quantity with the sum of its stock movements and lists
          each difference. Exits 1 when there is any, 0 when every figure matches its ledger.

Options:
  -h, --help    Show this help`,
  dev: `Usage: steward dev

Starts the API server with --watch on PORT (default 3000) and Vite with hot reload on 5173,
proxying /api to the server. Open http://localhost:5173.

Options:
  -h, --help    Show this help`,
};

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const st = statSync(target);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/** Builds the web app when its sources are newer than the last build. */
async function buildWebIfStale(): Promise<void> {
  const built = path.join(ROOT, 'dist/web/index.html');
  const sources = ['src/web', 'src/shared', 'index.html', 'vite.config.ts'].map((p) => newestMtime(path.join(ROOT, p)));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) return;
  console.log('Building the web app…');
  // In a child process: the bundler's memory (hundreds of MB) leaves with it instead of
  // staying in the server's heap for good.
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`Building the web app failed (vite exited with ${code}).`);
}

async function readPassword(file: string): Promise<string> {
  const text =
    file === '-' ? await new Response(process.stdin as unknown as ReadableStream).text() : readFileSync(file, 'utf8');
  return text.split(/\r?\n/)[0] ?? '';
}

async function init(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      template: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password-file': { type: 'string' },
      'admin-name': { type: 'string' },
      'business-name': { type: 'string' },
      timezone: { type: 'string' },
      currency: { type: 'string' },
      'demo-data': { type: 'boolean', default: false },
    },
  });
  const missing = ['template', 'admin-email', 'admin-password-file'].filter((k) => !values[k as keyof typeof values]);
  if (missing.length > 0) {
    console.error(`Missing ${missing.map((m) => `--${m}`).join(', ')}.\n\n${HELP.init}`);
    return 2;
  }
  const email = values['admin-email'] as string;
  const parsed = SetupBody.safeParse({
    businessName: values['business-name'] ?? 'Steward',
    template: values.template,
    admin: {
      email,
      name: values['admin-name'] ?? email.split('@')[0],
      password: await readPassword(values['admin-password-file'] as string),
    },
    timezone: values.timezone,
    currency: values.currency,
    demoData: values['demo-data'],
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
    return 2;
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const { setup } = compose(config, database);
    await setup.complete(
      contextFor(database.db, null, { requestId: 'cli:init', ip: null, userAgent: 'steward-cli' }),
      parsed.data,
    );
    console.log(`Steward is set up (${parsed.data.template}). Sign in as ${parsed.data.admin.email}.`);
    return 0;
  } finally {
    await database.close();
  }
}

async function audit(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub !== 'verify' && sub !== 'checkpoint') {
    console.error(HELP.audit);
    return 2;
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const service = compose(config, database).audit;
    if (sub === 'checkpoint') {
      const c = await service.checkpoint(contextFor(database.db, null));
      console.log(c ? `Checkpoint signed at event ${c.seq} (${c.hash.slice(0, 16)}…).` : 'The audit log is empty.');
      return 0;
    }
    const r = await service.verify(contextFor(database.db, null));
    const cp = r.checkpoint
      ? `; newest signed checkpoint: event ${r.checkpoint.seq} at ${r.checkpoint.at}`
      : '; no signed checkpoint yet';
    if (r.ok) {
      console.log(`The audit log verifies: ${r.events} events, head ${r.headHash?.slice(0, 16) ?? '-'}…${cp}.`);
      return 0;
    }
    console.error(`The audit log does NOT verify. First broken event: ${r.brokenAt}. ${r.problem}`);
    return 1;
  } finally {
    await database.close();
  }
}

async function admin(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'recover') {
    console.error(HELP.admin);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      'reset-password': { type: 'boolean', default: false },
      'restore-admin': { type: 'boolean', default: false },
      'reset-two-factor': { type: 'boolean', default: false },
    },
  });
  if (
    sub === 'recover' &&
    (!values.email || (!values['reset-password'] && !values['restore-admin'] && !values['reset-two-factor']))
  ) {
    console.error(`Name the account and what to do.\n\n${HELP.admin}`);
    return 2;
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const core = composeCore(config, database);
    const { auth, security, twoFactor } = composeServices(core);
    const deps = {
      database,
      audit: core.audit,
      roles: core.roles,
      hasher: core.hasher,
      now: core.now,
      auth,
      security,
      twoFactor,
    };
    const ctx = contextFor(database.db, null);
    if (sub === 'list') {
      const admins = await listAdministrators(ctx, deps);
      if (admins.length === 0) console.log('Nobody holds the administrative set. Use `steward admin recover`.');
      for (const a of admins) {
        const state = [
          a.active ? 'active' : 'DEACTIVATED',
          a.locked ? 'LOCKED' : null,
          a.administrator ? null : 'NOT an administrator now',
        ]
          .filter(Boolean)
          .join(', ');
        console.log(`${a.email}  ${a.name}  role ${a.role}  (${state})`);
      }
      return 0;
    }
    const r = await recoverAdmin(ctx, deps, {
      email: values.email as string,
      resetPassword: values['reset-password'] === true,
      restoreAdmin: values['restore-admin'] === true,
      resetTwoFactor: values['reset-two-factor'] === true,
    });
    console.log(`Recovered ${r.name} (${values.email}): role ${r.role}, unlocked, sessions ended.`);
    if (r.temporaryPassword) {
      console.log(`Temporary password (shown once; it must be changed at the next sign-in): ${r.temporaryPassword}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

async function check(args: string[]): Promise<number> {
  if (args[0] !== 'stock') {
    console.error(HELP.check);
    return 2;
  }
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const items = await database.db
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const differences = await stockDiscrepancies(database.db);
    if (differences.length === 0) {
      console.log(`Stock matches the ledger for all ${Number(items.n)} items.`);
      return 0;
    }
    console.error(`${differences.length} item(s) differ from their stock ledger:`);
    for (const d of differences) {
      console.error(
        `  ${d.sku}  ${d.name}: on hand ${d.onHand}, ledger ${d.ledger} (difference ${d.onHand - d.ledger})`,
      );
    }
    return 1;
  } finally {
    await database.close();
  }
}

async function migrate(): Promise<number> {
  const config = loadConfig();
  const database = openDatabase(config.database);
  try {
    const results = await migrateToLatest(database.db);
    if (results.length === 0) console.log('The database is up to date.');
    for (const r of results) console.log(`applied ${r.migrationName}`);
    return 0;
  } finally {
    await database.close();
  }
}

function dev(): Promise<number> {
  const server = spawn(process.execPath, ['--watch-path=src', path.join(ROOT, 'bin/steward.mjs'), 'serve'], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  const vite = spawn(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js')], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  return new Promise((resolve) => {
    const stop = (code: number) => {
      server.kill('SIGTERM');
      vite.kill('SIGTERM');
      resolve(code);
    };
    server.on('exit', (code) => stop(code ?? 1));
    vite.on('exit', (code) => stop(code ?? 1));
    process.once('SIGINT', () => stop(0));
    process.once('SIGTERM', () => stop(0));
  });
}

/** Runs one CLI command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (!(command in HELP)) {
    console.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    console.log(HELP[command]);
    return 0;
  }
  try {
    switch (command) {
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: { 'build-web': { type: 'boolean', default: false } } });
        const config = loadConfig();
        if (values['build-web']) await buildWebIfStale();
        const { startServer } = await import('./main.ts');
        await startServer(config);
        return 0;
      }
      case 'init':
        return await init(rest);
      case 'migrate':
        return await migrate();
      case 'audit':
        return await audit(rest);
      case 'check':
        return await check(rest);
      case 'admin':
        return await admin(rest);
      default:
        return await dev();
    }
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof HttpError ||
      err instanceof ServerLockError ||
      err instanceof RecoveryError
    ) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`${err.message}\n\n${HELP[command]}`);
      return 2;
    }
    throw err;
  }
}
