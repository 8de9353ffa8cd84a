import { WEB_MODULES } from '../../../shared/modules.ts';
import { authModule } from '../auth/auth.module.ts';
import { defineModule } from '../module.ts';
import { setupRoutes } from './setup.routes.ts';
import { SetupService } from './setup.service.ts';

/** First-run setup: the business, its built-in roles and modules, and the first admin. */
export const setupModule = defineModule({
  key: 'setup',
  label: 'First-run setup',
  /** The first admin's account is made through auth, which owns credentials. */
  uses: [authModule],
  services: (core, { auth }) => ({ setup: new SetupService({ ...core, auth }) }),
  routes: (app, s) => app.register(setupRoutes, { setup: s.setup }),
  audit: ['setup.completed', 'users.create'],
  web: WEB_MODULES.setup,
});
