/** Runs the real `steward` command line (and server) against a data directory of the test's own. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';

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

/** A `steward serve` process answering on `url`. */
export type StewardServer = {
  url: string;
  pid: number;
  /** Ends it with SIGTERM and removes the data directory it made (not one it was given). */
  stop(): Promise<void>;
  /** Ends it with SIGKILL, as a power cut would: no shutdown runs; the data directory stays. */
  kill(): Promise<void>;
  /** What it wrote to its standard output so far (with `stdout: 'pipe'`; else empty). */
  output(): string;
};

/**
 * Starts `steward serve` on a free port of 127.0.0.1 and waits until /readyz answers (at most
 * 60 s). Its data directory is `dataDir`, or a fresh one. `env` adds or overrides variables
 * (DATABASE_URL for PostgreSQL, a disk-space threshold, a log level); the server's standard
 * output goes to `stdout` (`pipe`: kept for `output()`).
 */
export async function startSteward(
  options: {
    env?: Record<string, string>;
    stdout?: 'inherit' | 'ignore' | 'pipe';
    cwd?: string;
    dataDir?: string;
  } = {},
): Promise<StewardServer> {
  const port = await freePort();
  const dir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'steward-serve-'));
  const child: ChildProcess = spawn(process.execPath, [STEWARD_BIN, 'serve'], {
    cwd: options.cwd,
    env: stewardEnv(dir, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...options.env }),
    stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => child.once('exit', r));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`steward serve exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      await end('SIGKILL');
      throw new Error('steward serve did not become ready within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid as number,
    stop: async () => {
      await end('SIGTERM');
      if (options.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    output: () => out,
  };
}
