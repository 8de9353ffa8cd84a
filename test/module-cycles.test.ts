/**
 * Modules use each other in one direction only (issue 18, part 3): the folders under
 * `src/server/modules/` form no import cycle. A cycle (auth ↔ security was one) means neither
 * module can be understood, built or tested without the other. The files at the modules root
 * (`module.ts`, `context.ts`, `index.ts`) are the frame every module stands on, not a module.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const MODULES_ROOT = path.resolve(import.meta.dirname, '../src/server/modules');

/** Every import, re-export, side-effect import and dynamic import specifier in a source text. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    // Tests may reach across modules to set things up; the running code may not.
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/** Module folder → the module folders its files import from, each edge with the file and specifier that make it. */
function moduleImportGraph(root: string): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  const folders = readdirSync(root).filter((name) => statSync(path.join(root, name)).isDirectory());
  for (const folder of folders) {
    const edges = new Map<string, string>();
    graph.set(folder, edges);
    for (const file of sourceFiles(path.join(root, folder))) {
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.relative(root, path.resolve(path.dirname(file), spec));
        const [head, ...rest] = target.split(path.sep);
        // Outside the modules, or a file at the modules root: not a module.
        if (!head || head === '..' || rest.length === 0 || head === folder) continue;
        if (!edges.has(head)) edges.set(head, `${path.relative(root, file)} imports '${spec}'`);
      }
    }
  }
  return graph;
}

/** The cycles a depth-first search meets, one per set of folders, each as a path (a → b → a). */
function cyclesOf(graph: Map<string, Map<string, string>>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, stack: string[]) => {
    state.set(node, 'open');
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), node, next];
        const key = [...cycle.slice(0, -1)].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next, [...stack, node]);
    }
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node, []);
  return cycles;
}

function describeCycle(graph: Map<string, Map<string, string>>, cycle: string[]): string {
  const steps = cycle.slice(0, -1).map((from, i) => `  ${graph.get(from)?.get(cycle[i + 1] as string)}`);
  return `${cycle.join(' → ')}\n${steps.join('\n')}`;
}

describe('module folders', () => {
  it('import each other without a cycle', () => {
    const graph = moduleImportGraph(MODULES_ROOT);
    // The scan sees the modules: a graph with no edges would pass for the wrong reason.
    expect(graph.size).toBeGreaterThanOrEqual(10);
    expect([...graph.values()].reduce((n, edges) => n + edges.size, 0)).toBeGreaterThanOrEqual(10);
    expect(graph.get('auth')?.has('security')).toBe(true);
    const cycles = cyclesOf(graph).map((c) => describeCycle(graph, c));
    expect(cycles, `Module folders import each other in a cycle:\n${cycles.join('\n')}`).toEqual([]);
  });

  describe('the scan', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-cycles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };

    it('finds a cycle made by type-only, multi-line and re-export imports, and ignores the modules root', () => {
      write('module.ts', "import { x } from './a/a.ts';\n");
      write('context.ts', "import { y } from './b/b.ts';\n");
      write('a/a.ts', "import type {\n  B,\n  C,\n} from '../b/b.ts';\nimport { m } from '../module.ts';\n");
      write('a/a.test.ts', "import { d } from '../d/d.ts';\n");
      write('b/b.ts', "export { A } from '../c/deep/c.ts';\n");
      write('c/deep/c.ts', "const a = await import('../../a/a.ts');\n");
      write('d/d.ts', "import '../a/a.ts';\n");
      const graph = moduleImportGraph(dir);
      expect(Object.fromEntries([...graph].map(([k, v]) => [k, [...v.keys()]]))).toEqual({
        a: ['b'],
        b: ['c'],
        c: ['a'],
        d: ['a'],
      });
      expect(cyclesOf(graph)).toEqual([['a', 'b', 'c', 'a']]);
      expect(describeCycle(graph, ['a', 'b', 'c', 'a'])).toContain("a/a.ts imports '../b/b.ts'");
    });

    it('finds no cycle in a graph that only goes one way', () => {
      const graph = new Map([
        ['auth', new Map([['security', 'x']])],
        ['security', new Map([['settings', 'y']])],
        ['settings', new Map<string, string>()],
        [
          'users',
          new Map([
            ['auth', 'z'],
            ['security', 'w'],
          ]),
        ],
      ]);
      expect(cyclesOf(graph)).toEqual([]);
      graph.get('settings')?.set('users', 'v');
      expect(cyclesOf(graph).map((c) => c.join(' → '))).toEqual([
        'auth → security → settings → users → auth',
        'security → settings → users → security',
      ]);
    });
  });
});
