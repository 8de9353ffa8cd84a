import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { twoFactorRoutes } from './two-factor.routes.ts';
import { TwoFactorService } from './two-factor.service.ts';

/** Two-step sign-in: an authenticator app's codes and recovery codes after the password. */
export const twoFactorModule = defineModule({
  key: 'twoFactor',
  label: 'Two-step sign-in',
  services: (core) => ({
    twoFactor: new TwoFactorService({
      audit: core.audit,
      roles: core.roles,
      engine: core.database.engine,
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(twoFactorRoutes, { twoFactor: s.twoFactor }),
  audit: [
    'auth.two_factor.enable',
    'auth.two_factor.disable',
    'auth.two_factor.recovery_codes',
    'users.two_factor_reset',
  ],
  web: WEB_MODULES.twoFactor,
});
