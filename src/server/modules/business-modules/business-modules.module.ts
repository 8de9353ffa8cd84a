import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { businessModulesRoutes } from './business-modules.routes.ts';
import { BusinessModulesService } from './business-modules.service.ts';

/** Which business modules are switched on (Settings → Modules); the route guard refuses the others' routes. */
export const businessModulesModule = defineModule({
  key: 'business-modules',
  label: 'Business modules switched on or off',
  services: (core) => ({
    businessModules: new BusinessModulesService({ engine: core.database.engine, audit: core.audit, now: core.now }),
  }),
  routes: (app, s) => app.register(businessModulesRoutes, { modules: s.businessModules }),
  audit: ['settings.modules'],
  web: WEB_MODULES['business-modules'],
});
