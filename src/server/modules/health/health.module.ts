import { defineModule } from '../module.ts';
import { DEFAULT_DISK_THRESHOLDS, DiskMonitor } from './disk-space.ts';
import { healthRoutes } from './health.routes.ts';

/** Liveness and readiness for load balancers and orchestrators (outside /api/v1), and free disk space. */
export const healthModule = defineModule({
  key: 'health',
  label: 'Liveness and readiness probes, and free disk space',
  prefix: '',
  services: (core) => ({
    diskMonitor: new DiskMonitor(core.config.dataDir, core.config.diskWarning ?? DEFAULT_DISK_THRESHOLDS, {
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(healthRoutes, { database: s.database, disk: s.diskMonitor }),
});
