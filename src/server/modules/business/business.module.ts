import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { businessRoutes } from './business.routes.ts';
import { BusinessService } from './business.service.ts';

/** The business's own details: name, time zone and the contact details its documents carry. */
export const businessModule = defineModule({
  key: 'business',
  label: 'Business details: name, time zone and contact details',
  services: (core) => ({
    business: new BusinessService({ engine: core.database.engine, audit: core.audit, now: core.now }),
  }),
  routes: (app, s) => app.register(businessRoutes, { business: s.business }),
  audit: ['settings.business'],
  web: WEB_MODULES.business,
});
