import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { stewardCli } from '../../test/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'steward-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const steward = stewardCli(dir);

describe('steward CLI', () => {
  it.each(['serve', 'init', 'migrate', 'audit', 'check', 'dev'])('prints help for %s', (cmd) => {
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

  it('verifies the audit log, signs checkpoints, and names the first event tampered with', () => {
    // The business set up above wrote its first events.
    expect(steward(['audit', 'checkpoint']).out).toMatch(/Checkpoint signed at event 2/);
    const ok = steward(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/The audit log verifies: 2 events.*newest signed checkpoint: event 2/);
    const db = new DatabaseSync(path.join(dir, 'steward.sqlite'));
    db.exec('drop trigger audit_events_no_update');
    db.exec(`update audit_events set actor_label = 'someone-else@example.com' where seq = 1`);
    db.close();
    const bad = steward(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('First broken event: 1.');
    expect(steward(['audit', 'erase']).code).toBe(2);
  });

  it('checks stock against the ledger and names every item that differs', () => {
    const db = new DatabaseSync(path.join(dir, 'steward.sqlite'));
    const now = new Date().toISOString();
    db.exec(
      `insert into items (id, sku, name, on_hand, created_at, updated_at) values ('i1', 'INK-01', 'Black ink', 5, '${now}', '${now}')`,
    );
    db.exec(
      `insert into stock_movements (item_id, kind, quantity, before, after, created_at) values ('i1', 'in', 5, 0, 5, '${now}')`,
    );
    db.close();
    const ok = steward(['check', 'stock']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('Stock matches the ledger for all 1 items.');
    const bad = new DatabaseSync(path.join(dir, 'steward.sqlite'));
    bad.exec(`update items set on_hand = 7 where id = 'i1'`);
    bad.close();
    const r = steward(['check', 'stock']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('INK-01  Black ink: on hand 7, ledger 5 (difference 2)');
  });
});
