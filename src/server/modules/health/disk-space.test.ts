import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DISK_THRESHOLDS, DiskMonitor, diskSpace } from './disk-space.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

describe('diskSpace', () => {
  it('is not low with room above both bounds', () => {
    expect(diskSpace({ availableBytes: 40 * GB, totalBytes: 100 * GB }, DEFAULT_DISK_THRESHOLDS)).toEqual({
      freeBytes: 40 * GB,
      totalBytes: 100 * GB,
      freePercent: 40,
      low: false,
    });
  });

  it('is low under 5 % free even with gigabytes left (a large volume)', () => {
    const s = diskSpace({ availableBytes: 4.9 * GB, totalBytes: 100 * GB }, DEFAULT_DISK_THRESHOLDS);
    expect(s.freePercent).toBe(4.9);
    expect(s.low).toBe(true);
  });

  it('is low under 500 MB free even at a high percentage (a small volume)', () => {
    const s = diskSpace({ availableBytes: 499 * MB, totalBytes: 1 * GB }, DEFAULT_DISK_THRESHOLDS);
    expect(s.freePercent).toBeGreaterThan(40);
    expect(s.low).toBe(true);
  });

  it('is not low exactly at the bounds', () => {
    expect(diskSpace({ availableBytes: 500 * MB, totalBytes: 5 * GB }, DEFAULT_DISK_THRESHOLDS).low).toBe(false);
    expect(diskSpace({ availableBytes: 5 * GB, totalBytes: 100 * GB }, DEFAULT_DISK_THRESHOLDS).low).toBe(false);
  });

  it('rounds the percentage down, so 4.99 % never shows as 5 %', () => {
    expect(diskSpace({ availableBytes: 499, totalBytes: 10_000 }, { freeBytes: 0, freePercent: 5 })).toMatchObject({
      freePercent: 4.9,
      low: true,
    });
  });

  it('reads an empty or unknown volume as 0 % free and low', () => {
    expect(diskSpace({ availableBytes: 0, totalBytes: 0 }, DEFAULT_DISK_THRESHOLDS)).toMatchObject({
      freePercent: 0,
      low: true,
    });
  });

  it('warns on nothing when both bounds are 0', () => {
    expect(diskSpace({ availableBytes: 1, totalBytes: 100 * GB }, { freeBytes: 0, freePercent: 0 }).low).toBe(false);
  });
});

describe('DiskMonitor', () => {
  it('measures the real volume, and measures it again only after the cache expires', async () => {
    let now = 1_000;
    const monitor = new DiskMonitor(tmpdir(), DEFAULT_DISK_THRESHOLDS, { now: () => now, ttlMs: 5000 });
    const first = monitor.status();
    expect(monitor.status()).toBe(first);
    const s = await first;
    expect(s?.totalBytes).toBeGreaterThan(0);
    expect(s?.freeBytes).toBeGreaterThanOrEqual(0);
    now += 4999;
    expect(monitor.status()).toBe(first);
    now += 1;
    expect(monitor.status()).not.toBe(first);
  });

  it('answers null for a directory that cannot be measured', async () => {
    const monitor = new DiskMonitor('/nonexistent/steward-data', DEFAULT_DISK_THRESHOLDS);
    expect(await monitor.status()).toBeNull();
  });
});
