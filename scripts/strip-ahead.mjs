// Type stripping ahead of time, for the long-running server (`steward serve`).
//
// Node strips the types of each .ts file as it loads it, with a WebAssembly build of swc that then
// stays in the process for good: about 18 MB of the server's resident memory, for work that is
// over once start-up is. `steward serve` instead has a child process strip the sources (Node's own
// `module.stripTypeScriptTypes`, the same stripper) into dist/server, one file per source named by
// the SHA-256 of the source, and loads those: the server never holds the stripper.
//
// Never stale: every .ts file is hashed again when the server loads it, and a source whose
// stripped copy is missing (a new file, an edit after the child ran, an unwritable directory)
// is loaded as usual, by Node's stripper. Stripping only blanks types out, so every line and
// column stays where it was: stack traces point into the .ts files without source maps.
//
// Plain JavaScript: it runs before any TypeScript is loaded.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCES = path.join(ROOT, 'src');
/** Where the stripped copies go (dist/ is built output, never committed). */
export const STRIPPED_DIR = path.join(ROOT, 'dist/server');

const hashOf = (source) => createHash('sha256').update(source).digest('hex');

/** The server's TypeScript sources: src/ without the web app (bundled by Vite) and the tests. */
function serverSources(sources, dir = sources) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== path.join(sources, 'web')) files.push(...serverSources(sources, full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
  return files;
}

/** Child process: strips every source that has no stripped copy yet; drops copies of no source. */
function stripAll(sources, into) {
  mkdirSync(into, { recursive: true });
  const wanted = new Set();
  const present = new Set(readdirSync(into));
  let stripped = 0;
  for (const file of serverSources(sources)) {
    const bytes = readFileSync(file);
    const name = `${hashOf(bytes)}.js`;
    wanted.add(name);
    if (present.has(name)) continue;
    let code;
    try {
      code = stripTypeScriptTypes(bytes.toString('utf8'), { mode: 'strip' });
    } catch {
      continue; // Not erasable: Node's loader reports it, with its place, when the server loads it.
    }
    const temporary = path.join(into, `.${name}.${process.pid}`);
    writeFileSync(temporary, code);
    renameSync(temporary, path.join(into, name));
    stripped++;
  }
  for (const name of present) if (!wanted.has(name)) rmSync(path.join(into, name), { force: true });
  return stripped;
}

/**
 * In the server process, before any TypeScript loads: has the child strip what changed, then
 * loads every .ts file under `sources` from its stripped copy. Returns what happened.
 */
export function loadStrippedSources({ sources = SOURCES, into = STRIPPED_DIR } = {}) {
  const child = spawnSync(process.execPath, ['--no-warnings', fileURLToPath(import.meta.url), sources, into], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const prefix = `${pathToFileURL(sources).href}/`;
  let fromCopies = 0;
  let stripped = 0;
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith(prefix) && url.endsWith('.ts')) {
        let code;
        try {
          code = readFileSync(path.join(into, `${hashOf(readFileSync(fileURLToPath(url)))}.js`), 'utf8');
        } catch {
          // No copy of this very text: Node strips it.
        }
        if (code !== undefined) {
          fromCopies++;
          return { format: 'module', source: code, shortCircuit: true };
        }
        stripped++;
      }
      return nextLoad(url, context);
    },
  });
  return {
    /** How many sources the child stripped (0 when every copy was there), or null if it failed. */
    strippedAhead: child.status === 0 ? Number(child.stdout) : null,
    childError: child.status === 0 ? '' : `${child.stderr}`.trim().split('\n')[0],
    /** Sources loaded so far from their stripped copy, and stripped by Node as they loaded. */
    counts: () => ({ fromCopies, strippedOnLoad: stripped }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = stripAll(process.argv[2] ?? SOURCES, process.argv[3] ?? STRIPPED_DIR);
  process.stdout.write(`${count}\n`);
}
