/** Runs the real `steward` command line against a data directory of the test's own. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The CLI entry point, as an operator runs it. */
export const STEWARD_BIN = path.resolve(import.meta.dirname, '../bin/steward.mjs');

/**
 * Environment for a CLI or server on `dir`: SQLite there, and keys of its own (the default ./keys
 * would outlive the run and may hold another run's checkpoints, against which a chain would not verify).
 */
export function stewardEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STEWARD_DATA_DIR: dir,
    STEWARD_KEY_DIR: path.join(dir, 'keys'),
    DATABASE_URL: '',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

export type CliResult = { code: number | null; out: string; err: string };

/** A runner of `steward <args>` on `dir`, with optional standard input. */
export function stewardCli(dir: string): (args: string[], input?: string) => CliResult {
  return (args, input) => {
    const r = spawnSync(process.execPath, [STEWARD_BIN, ...args], {
      encoding: 'utf8',
      input,
      env: stewardEnv(dir),
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}
