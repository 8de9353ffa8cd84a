/**
 * `steward serve` loads its sources stripped of types ahead of time (scripts/strip-ahead.mjs), so
 * that Node's stripper never stays in the server: shown on Steward's own sources, then on a
 * throwaway tree that changes under it (a copy is never used for another text than its own).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'steward-strip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Outcome = {
  strippedAhead: number | null;
  counts: { fromCopies: number; strippedOnLoad: number };
  stripperLoaded: boolean;
  result: unknown;
};

/** A fresh Node process: strip ahead into `into`, import `entry`, say what happened. */
function run(sources: string, into: string, entry: string, call: string): Outcome {
  const program = `
    import { loadStrippedSources } from ${JSON.stringify(path.join(ROOT, 'scripts/strip-ahead.mjs'))};
    const done = loadStrippedSources({ sources: ${JSON.stringify(sources)}, into: ${JSON.stringify(into)} });
    const m = await import(${JSON.stringify(entry)});
    const result = ${call};
    console.log(JSON.stringify({
      strippedAhead: done.strippedAhead,
      counts: done.counts(),
      stripperLoaded: process.moduleLoadList.some((x) => x.includes('amaro')),
      result,
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Outcome;
}

describe('type stripping ahead of time', () => {
  it("loads Steward's server without Node's stripper, from copies made by a child process", () => {
    const into = path.join(work, 'steward-copies');
    const entry = path.join(ROOT, 'src/server/app.ts');
    const first = run(path.join(ROOT, 'src'), into, entry, 'typeof m.buildApp');
    expect(first.strippedAhead).toBeGreaterThan(50);
    expect(first.counts.fromCopies).toBeGreaterThan(50);
    expect(first.counts.strippedOnLoad).toBe(0);
    expect(first.stripperLoaded).toBe(false);
    expect(first.result).toBe('function');
    // Nothing changed: the child strips nothing the second time, and no test or web file was copied.
    const second = run(path.join(ROOT, 'src'), into, entry, 'typeof m.buildApp');
    expect(second.strippedAhead).toBe(0);
    expect(second.stripperLoaded).toBe(false);
    expect(readdirSync(into).length).toBe(first.strippedAhead);
  });

  it('never runs a stale copy: an edited source loads as it is now, and errors point at its lines', () => {
    const sources = path.join(work, 'src');
    const into = path.join(work, 'copies');
    mkdirSync(path.join(sources, 'web'), { recursive: true });
    writeFileSync(path.join(sources, 'web/ignored.ts'), 'export const x: number = 1;\n');
    writeFileSync(path.join(sources, 'b.ts'), 'export const answer: number = 41;\n');
    writeFileSync(
      path.join(sources, 'a.ts'),
      [
        "import { answer } from './b.ts';",
        'interface Shape { n: number }',
        'export const shape: Shape = { n: answer + 1 };',
        'export function fail(): never {',
        "  throw new Error('here');",
        '}',
        '',
      ].join('\n'),
    );
    const entry = path.join(sources, 'a.ts');
    writeFileSync(path.join(work, 'a-file'), 'not a directory');
    const first = run(sources, into, entry, 'm.shape.n');
    expect(first).toMatchObject({ strippedAhead: 2, counts: { fromCopies: 2, strippedOnLoad: 0 }, result: 42 });
    expect(first.stripperLoaded).toBe(false);
    // Stripping keeps every line and column: the stack points at line 5, column 9 of a.ts.
    const stack = run(sources, into, entry, '(() => { try { m.fail(); } catch (e) { return e.stack; } })()');
    expect(String(stack.result)).toContain(`${entry}:5:9`);

    // Copies are found by the SHA-256 of the source's text as it is when it loads: a copy made
    // for this very text is what runs (a planted one shows it)…
    const b = 'export const answer: number = 41;\n';
    const planted = path.join(into, `${createHash('sha256').update(b).digest('hex')}.js`);
    writeFileSync(planted, 'export const answer = 1000;\n');
    expect(run(sources, into, entry, 'm.shape.n').result).toBe(1001);
    // …and once the text changes, that copy is never used again, and the child drops it.
    writeFileSync(path.join(sources, 'b.ts'), 'export const answer: number = 99;\n');
    const edited = run(sources, into, entry, 'm.shape.n');
    expect(edited).toMatchObject({ strippedAhead: 1, counts: { fromCopies: 2, strippedOnLoad: 0 }, result: 100 });
    expect(existsSync(planted)).toBe(false);
    // No copy at all (an unwritable directory): Node strips as it loads, and the code still runs.
    const none = run(sources, path.join(work, 'a-file'), entry, 'm.shape.n');
    expect(none).toMatchObject({ strippedAhead: null, counts: { fromCopies: 0, strippedOnLoad: 2 }, result: 100 });
  });
});
