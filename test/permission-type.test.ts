import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('the Permission type', () => {
  it('fails the type-check on a misspelt permission in the web app, a route config, a declaration or an engine check', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'test/fixtures/misspelt-permission'],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status).not.toBe(0);
    const errors = out.split('\n').filter((l) => l.includes('error TS'));
    expect(errors).toHaveLength(4);
    expect(out).toContain('"inventry.view"');
    expect(out).toContain('"invenotry.edit"');
    expect(out).toContain('"inventory.fly"');
    expect(out).toMatch(/fixture\.ts\(\d+,\d+\): error TS2345: Argument of type '"inventory\.veiw"'/);
    expect(out).not.toContain('"inventory.view"');
  }, 120_000);
});
