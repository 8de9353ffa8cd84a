/**
 * Free space under the data directory (`fs.statfs`), measured at most every few seconds so that
 * `/healthz` stays cheap under a load balancer's probes, and judged against a warning threshold.
 */
import { statfs } from 'node:fs/promises';
import type { DiskSpace } from '../../../shared/contracts/health.ts';

const MB = 1024 * 1024;

/** Warn when less than this is free: either bound (bytes or percent of the volume) is enough. */
export type DiskThresholds = { readonly freeBytes: number; readonly freePercent: number };

export const DEFAULT_DISK_THRESHOLDS: DiskThresholds = { freeBytes: 500 * MB, freePercent: 5 };

/** What `statfs` says, in bytes: available to an unprivileged process, and the volume's size. */
export type DiskFigures = { readonly availableBytes: number; readonly totalBytes: number };

/** The figures judged: low when below either bound (a small volume by percent, a large one by bytes). */
export function diskSpace(figures: DiskFigures, thresholds: DiskThresholds): DiskSpace {
  const { availableBytes, totalBytes } = figures;
  const freePercent = totalBytes > 0 ? Math.floor((availableBytes / totalBytes) * 1000) / 10 : 0;
  return {
    freeBytes: availableBytes,
    totalBytes,
    freePercent,
    low: availableBytes < thresholds.freeBytes || freePercent < thresholds.freePercent,
  };
}

/** Measures the volume under `dir`, caching the answer for `ttlMs`; null when it cannot be measured. */
export class DiskMonitor {
  readonly dir: string;
  readonly thresholds: DiskThresholds;
  readonly #now: () => number;
  readonly #ttlMs: number;
  #cached: { at: number; value: Promise<DiskSpace | null> } | null = null;

  constructor(dir: string, thresholds: DiskThresholds, options: { now?: () => number; ttlMs?: number } = {}) {
    this.dir = dir;
    this.thresholds = thresholds;
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? 5000;
  }

  /** The current figures (at most `ttlMs` old); parallel callers share one measurement. */
  status(): Promise<DiskSpace | null> {
    const now = this.#now();
    if (this.#cached && now - this.#cached.at < this.#ttlMs) return this.#cached.value;
    const value = statfs(this.dir).then(
      (s) => diskSpace({ availableBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }, this.thresholds),
      () => null,
    );
    this.#cached = { at: now, value };
    return value;
  }
}
