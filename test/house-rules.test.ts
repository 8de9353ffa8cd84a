/**
 * The house's shape (issue 18, parts 2 and 3), checked on the source: repositories own SQL,
 * services take their handle from a context (no defaulted `db` parameters), only repositories
 * build queries with Kysely, and modules reach each other through services, never through
 * another module's repository. Each rule names the files that break it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODULES = path.join(ROOT, 'src/server/modules');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const rel = (p: string) => path.relative(ROOT, p);
const moduleFiles = files(MODULES).filter((f) => path.dirname(f) !== MODULES);
const isRepository = (f: string) => f.endsWith('.repository.ts');
/** Source without comments, so a comment that mentions `selectFrom` is not a query. */
const code = (f: string) =>
  readFileSync(f, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

describe('the house', () => {
  it('keeps every query in a repository', () => {
    const QUERY =
      /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql`|\bsql\.(raw|ref|id|lit|table)\(/;
    const offenders = moduleFiles.filter((f) => !isRepository(f) && QUERY.test(code(f))).map(rel);
    expect(offenders).toEqual([]);
  });

  it('lets only repositories (and the context types) import Kysely', () => {
    const KYSELY = /from 'kysely'/;
    const offenders = moduleFiles.filter((f) => !isRepository(f) && KYSELY.test(code(f))).map(rel);
    expect(offenders).toEqual([]);
  });

  it('has no defaulted database handle anywhere in the server', () => {
    const DEFAULTED = /\b\w+\s*:\s*(Tx|Db|Trx|Kysely<DB>|Transaction<DB>)\s*=|=\s*this\.(deps\.)?database\.db\b[^.]/;
    const offenders = files(path.join(ROOT, 'src/server'))
      .filter((f) => DEFAULTED.test(code(f)))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('reaches other modules through their services, never their repositories', () => {
    const offenders: string[] = [];
    for (const f of moduleFiles) {
      const own = path.relative(MODULES, f).split(path.sep)[0];
      for (const m of code(f).matchAll(/from '(\.\.\/([\w-]+)\/[\w.-]+\.repository\.ts)'/g)) {
        if (m[2] !== own) offenders.push(`${rel(f)} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
