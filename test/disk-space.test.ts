/** Free space under the data directory: in /healthz for everyone, in detail for admins. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, ENGINES, login, setupBusiness, type TestApp } from './harness.ts';

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
