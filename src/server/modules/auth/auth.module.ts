import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { twoFactorModule } from '../two-factor/two-factor.module.ts';
import { authRoutes } from './auth.routes.ts';
import { AuthService } from './auth.service.ts';

/** Signing in and out, sessions, master-code elevation, one's own password. */
export const authModule = defineModule({
  key: 'auth',
  label: 'Signing in, sessions and master-code elevation',
  uses: [twoFactorModule],
  services: (core, s) => ({
    auth: new AuthService({
      database: core.database,
      roles: core.roles,
      audit: core.audit,
      hasher: core.hasher,
      twoFactor: s.twoFactor,
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(authRoutes, { auth: s.auth }),
  audit: [
    'auth.login',
    'auth.logout',
    'auth.lockout',
    'auth.elevate',
    'auth.elevate_end',
    'auth.password_change',
    'auth.session_end',
  ],
  web: WEB_MODULES.auth,
});
