// `npm run check:openapi`: writes the OpenAPI document of a built app (a throwaway SQLite
// database, nothing listening), lints it with Redocly's recommended rules (zero errors and
// zero warnings), generates a typed client from it with openapi-typescript, and type-checks
// that client together with a small file that calls a few operations through openapi-fetch.
// The tools live in tools/openapi (their own lockfile: openapi-typescript needs the
// TypeScript 5 compiler API); they are installed from the npm registry on first use.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const TOOLS = path.join(ROOT, 'tools/openapi');
const OUT = path.join(TOOLS, 'generated');
// Offline by design: no telemetry, no update check (CI reaches only the npm registry).
const TOOL_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

function run(what: string, command: string, args: string[], cwd = TOOLS) {
  console.log(`\n> ${what}`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    env: TOOL_ENV,
  });
  if (result.status !== 0) {
    console.error(`check:openapi failed at: ${what}`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(path.join(TOOLS, 'node_modules/.package-lock.json'))) {
  run('install the OpenAPI tools (tools/openapi)', 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}

// 1. The document, exactly as GET /api/openapi.json serves it.
const dataDir = mkdtempSync(path.join(tmpdir(), 'steward-openapi-'));
let document: string;
try {
  const config = loadConfig({
    STEWARD_DATA_DIR: dataDir,
    STEWARD_AUDIT_KEY_FILE: path.join(dataDir, 'audit-signing-key.pem'),
    DATABASE_URL: '',
    LOG_LEVEL: 'silent',
  });
  const app = await buildApp({ ...config, webDist: null });
  const res = await app.inject('/api/openapi.json');
  await app.close();
  if (res.statusCode !== 200) throw new Error(`GET /api/openapi.json answered ${res.statusCode}`);
  document = JSON.stringify(JSON.parse(res.body), null, 2);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'openapi.json'), `${document}\n`);
console.log(`wrote ${path.relative(ROOT, path.join(OUT, 'openapi.json'))}`);

const bin = (name: string) => path.join(TOOLS, 'node_modules/.bin', name);

// 2. Lint (config: tools/openapi/redocly.yaml; reviewed exceptions: .redocly.lint-ignore.yaml).
// Zero errors and zero warnings: a warning fails the check too.
const lintArgs = ['lint', 'generated/openapi.json', '--config', 'redocly.yaml', '--max-problems', '500'];
console.log('\n> lint (Redocly, recommended rules)');
const lint = spawnSync(bin('redocly'), [...lintArgs, '--format', 'json'], {
  cwd: TOOLS,
  env: TOOL_ENV,
  encoding: 'utf8',
});
const totals = (JSON.parse(lint.stdout || '{}') as { totals?: { errors: number; warnings: number; ignored: number } })
  .totals;
if (!totals || totals.errors > 0 || totals.warnings > 0) {
  run('lint problems', bin('redocly'), lintArgs);
  console.error(`check:openapi failed at: lint (${totals?.errors ?? '?'} errors, ${totals?.warnings ?? '?'} warnings)`);
  process.exit(1);
}
console.log(`lint: 0 errors, 0 warnings (${totals.ignored} reviewed exceptions)`);

// 3. A typed client.
run('generate the typed client (openapi-typescript)', bin('openapi-typescript'), [
  'generated/openapi.json',
  '--output',
  'generated/schema.d.ts',
]);

// 4. The client and a usage file type-check with the project's TypeScript.
run('type-check the generated client', process.execPath, [
  path.join(ROOT, 'node_modules/typescript/bin/tsc'),
  '-p',
  path.join(TOOLS, 'tsconfig.json'),
]);
console.log('\nOpenAPI document: lint clean, typed client generated and type-checked.');
