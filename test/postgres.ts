/**
 * A throwaway PostgreSQL cluster for tests, started from the Debian server binaries as a
 * non-root user (PostgreSQL refuses to run as root). Used by the Vitest global setup.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';

export type Cluster = { url: string; stop(): void };

/** The directory holding initdb / pg_ctl, or null when the server is not installed. */
export function findPostgresBin(): string | null {
  const candidates: string[] = [];
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) {
    for (const v of readdirSync(lib).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(lib, v, 'bin'));
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(path.dirname(which.stdout.trim()));
  return candidates.find((d) => existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) ?? null;
}

/** Runs a command as `user` when we are root, else as ourselves. */
function run(user: string | null, cmd: string, args: string[]): void {
  const [file, argv] = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/**
 * Starts a cluster. The suite's shared one trades durability for speed (no fsync, no full-page
 * writes: a crash of a throwaway cluster loses nothing of value); `durable: true` keeps
 * PostgreSQL's production defaults, for the test of the durability settings Steward runs with.
 * `port` fixes the port (the HTTP bench keeps to its range); by default a free one is taken.
 */
export async function startCluster(bin: string, options: { durable?: boolean; port?: number } = {}): Promise<Cluster> {
  const root = process.getuid?.() === 0;
  const user = root ? 'postgres' : null;
  if (root && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    throw new Error('Running as root and no "postgres" user exists to run the test cluster.');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'steward-pg-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = options.port ?? (await freePort());
  run(user, path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'steward',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--locale=C',
  ]);
  const opts = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    ...(options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    '-c max_connections=200',
  ].join(' ');
  run(user, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
  return {
    url: `postgres://steward@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(user, path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
