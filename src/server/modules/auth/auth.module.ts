import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { securityModule } from '../security/security.module.ts';
import { twoFactorModule } from '../two-factor/two-factor.module.ts';
import { authRoutes } from './auth.routes.ts';
import { AuthService } from './auth.service.ts';

/** Signing in and out, sessions, master-code elevation, one's own password. */
export const authModule = defineModule({
  key: 'auth',
  label: 'Signing in, sessions and master-code elevation',
  /** Sign-in throttles, the master code and API keys belong to security; auth uses them. Two-step sign-in too. */
  uses: [securityModule, twoFactorModule],
  services: (core, { security, twoFactor }) => ({
    auth: new AuthService({
      database: core.database,
      roles: core.roles,
      audit: core.audit,
      hasher: core.hasher,
      twoFactor,
      now: core.now,
      security,
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
