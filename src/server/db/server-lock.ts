import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** Raised when another live server already serves the data directory. */
export class ServerLockError extends Error {
  override name = 'ServerLockError';
}

type Holder = { pid: number; host: string; port: number; startedAt: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): Holder | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return null;
  }
}

/**
 * One embedded database, one server: takes `<dataDir>/steward.lock` for this process, or throws
 * naming the live process that holds it. A lock left by a process that died is taken over.
 * CLI commands do not take it; SQLite's own locking (BEGIN IMMEDIATE, busy timeout) lets them
 * write beside the server. Returns the release function.
 */
export function acquireServerLock(dataDir: string, port: number): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'steward.lock');
  const me: Holder = { pid: process.pid, host: hostname(), port, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && (holder.host !== me.host || alive(holder.pid))) {
      const where = holder.host === me.host ? '' : ` on ${holder.host}`;
      throw new ServerLockError(
        `Another Steward server (process ${holder.pid}${where}, port ${holder.port}, started ${holder.startedAt}) ` +
          `is already using the data directory ${dataDir}. Stop it first, or start this one with another ` +
          `STEWARD_DATA_DIR. (Several servers on one database need PostgreSQL: set DATABASE_URL.) ` +
          `If that process is gone, delete ${file}.`,
      );
    }
    // Left behind by a process that is gone (or unreadable): take it over.
    try {
      unlinkSync(file);
    } catch {}
  }
  throw new ServerLockError(`Could not take the server lock ${file}; another server is starting at the same time.`);
}
