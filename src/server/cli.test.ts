import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../bin/steward.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'steward-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function steward(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, STEWARD_DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('steward CLI', () => {
  it.each(['serve', 'init', 'migrate', 'dev'])('prints help for %s', (cmd) => {
    const r = steward([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: steward ${cmd}`);
  });

  it('rejects an unknown command with the usage', () => {
    const r = steward(['launch']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown command "launch"');
  });

  it('migrates, then sets up once from a password file, then refuses a second init', () => {
    expect(steward(['migrate']).out).toContain('applied 2026-11-23-0001-initial');
    expect(steward(['migrate']).out).toContain('up to date');
    const pw = path.join(dir, 'pw.txt');
    writeFileSync(pw, 'Sturdy-Pass-42\n');
    const args = ['init', '--template', 'stores', '--admin-email', 'Boss@Example.com', '--admin-password-file', pw];
    const first = steward(args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('Sign in as boss@example.com');
    const second = steward(args);
    expect(second.code).toBe(2);
    expect(second.err).toContain('already set up');
  });

  it('names missing options and weak passwords clearly', () => {
    expect(steward(['init', '--template', 'studio']).err).toContain('Missing --admin-email, --admin-password-file');
    const r = steward(
      ['init', '--template', 'studio', '--admin-email', 'a@b.co', '--admin-password-file', '-'],
      'weak\n',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not strong enough/);
  });
});
