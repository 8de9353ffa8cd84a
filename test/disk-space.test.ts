/** Free space under the data directory: in /healthz for everyone, in detail for admins. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setOverride } from './factories.ts';
import {
  createBusinessApp,
  createStaff,
  createTestApp,
  ENGINES,
  login,
  type Session,
  setupBusiness,
  type TestApp,
} from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

// Counts the server's measurements of the volume (the real statfs still answers).
const statfsCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    statfs: (...args: Parameters<typeof fs.statfs>) => {
      statfsCalls.count++;
      return fs.statfs(...args);
    },
  };
});

describe.each(ENGINES)('free disk space (%s)', (engine) => {
  describe('with a warning threshold above any real figure', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Warn below 100 % free: the real volume under the data directory is always "low".
      t = await createTestApp(engine, { config: { diskWarning: { freeBytes: 0, freePercent: 100 } } });
    });
    afterAll(() => t.close());

    it('reports the volume as low in /healthz, without signing in', async () => {
      const res = await t.app.inject('/healthz');
      expect(res.statusCode).toBe(200);
      const { disk } = res.json();
      expect(disk.low).toBe(true);
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.freePercent).toBeLessThan(100);
    });

    it('shows admins the figures, the thresholds and the directory, and refuses a User', async () => {
      const a = await setupBusiness(t.app, 'stores');
      const admin = await login(t.app, a.email, a.password);
      const res = await admin.inject({ method: 'GET', url: '/api/v1/system/disk' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        disk: { low: true },
        path: t.config.dataDir,
        thresholds: { freeBytes: 0, freePercent: 100 },
      });
      const user = await createStaff(t.app, admin, 'user');
      expect((await user.session.inject({ method: 'GET', url: '/api/v1/system/disk' })).statusCode).toBe(403);
    });
  });

  describe('under a burst of probes', () => {
    let t: TestApp;
    let base: string;
    beforeAll(async () => {
      t = await createTestApp(engine);
      base = await listenLocal(t.app);
    });
    afterAll(() => t.close());

    it('answers 50 parallel /healthz over HTTP from one measurement, and measures again after 5 s', async () => {
      const burst = () =>
        Promise.all(
          Array.from({ length: 50 }, async () => {
            const res = await fetch(`${base}/healthz`);
            return { status: res.status, body: (await res.json()) as { disk: { totalBytes: number } | null } };
          }),
        );
      const before = statfsCalls.count;
      const first = await burst();
      expect(first.every((r) => r.status === 200 && (r.body.disk?.totalBytes ?? 0) > 0)).toBe(true);
      expect(statfsCalls.count - before).toBe(1);
      t.clock.advance(5000);
      await burst();
      expect(statfsCalls.count - before).toBe(2);
    });
  });

  describe('the detailed report, asked for by staff without the right', () => {
    let t: TestApp;
    let admin: Session;
    let base: string;
    beforeAll(async () => {
      ({ t, admin } = await createBusinessApp(engine));
      base = await listenLocal(t.app);
    });
    afterAll(() => t.close());

    it('refuses a User 50 times in parallel over HTTP, naming neither the directory nor the figures', async () => {
      const user = await createStaff(t.app, admin, 'user');
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          send(base, 'GET', '/api/v1/system/disk', undefined, sessionHeaders(user.session)),
        ),
      );
      for (const a of answers) {
        expect(a.status).toBe(403);
        expect(JSON.stringify(a.body)).not.toContain(t.config.dataDir);
        expect(a.body).not.toHaveProperty('disk');
      }
    });

    it('refuses settings.edit granted on own records only: settings have no owner', async () => {
      const user = await createStaff(t.app, admin, 'user');
      await setOverride(admin, user.id, 'settings.edit', { effect: 'grant', scope: 'own' });
      const res = await user.session.inject({ method: 'GET', url: '/api/v1/system/disk' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ type: 'urn:steward:problem:own-only', resource: 'settings' });
    });
  });

  describe('with no threshold configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine);
    });
    afterAll(() => t.close());

    it('warns below 500 MB or 5 % free', async () => {
      const a = await setupBusiness(t.app, 'stores');
      const admin = await login(t.app, a.email, a.password);
      const res = await admin.inject({ method: 'GET', url: '/api/v1/system/disk' });
      expect(res.json().thresholds).toEqual({ freeBytes: 500 * 1024 * 1024, freePercent: 5 });
    });
  });
});
