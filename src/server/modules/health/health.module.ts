import { defineModule } from '../module.ts';
import { healthRoutes } from './health.routes.ts';

/** Liveness and readiness for load balancers and orchestrators (outside /api/v1). */
export const healthModule = defineModule({
  key: 'health',
  label: 'Liveness and readiness probes',
  prefix: '',
  routes: (app, s) => app.register(healthRoutes, { database: s.database }),
});
