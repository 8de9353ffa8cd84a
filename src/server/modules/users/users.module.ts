import { WEB_MODULES } from '../../../shared/modules.ts';
import { authModule } from '../auth/auth.module.ts';
import { defineModule } from '../module.ts';
import { securityModule } from '../security/security.module.ts';
import { usersRoutes } from './users.routes.ts';
import { UsersService } from './users.service.ts';

/** User accounts: create, edit, deactivate, reset passwords, end their sessions. */
export const usersModule = defineModule({
  key: 'users',
  label: 'User accounts',
  /** A user owns their own account. */
  resources: { user: { table: 'users', owner: 'id' } },
  /** Credentials and sessions belong to auth, API keys to security: users manages accounts through them. */
  uses: [authModule, securityModule],
  services: (core, { auth, security }) => ({
    users: new UsersService({
      database: core.database,
      roles: core.roles,
      audit: core.audit,
      hasher: core.hasher,
      now: core.now,
      auth,
      security,
    }),
  }),
  routes: (app, s) => app.register(usersRoutes, { users: s.users, auth: s.auth }),
  audit: [
    'users.create',
    'users.update',
    'users.role_change',
    'users.deactivate',
    'users.reactivate',
    'users.reset_password',
    'users.recovered',
    'users.sessions_end',
    // Ending one session of another user is recorded as the session's end, as when they sign out.
    'auth.session_end',
  ],
  web: WEB_MODULES.users,
});
