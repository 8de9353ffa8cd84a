import { DEFAULT_SECURITY, SecuritySettings } from '../../../shared/contracts/security.ts';
import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { securityRoutes } from './security.routes.ts';
import { SecurityService } from './security.service.ts';

/** Security settings, the master code and API keys. */
export const securityModule = defineModule({
  key: 'security',
  label: 'Security settings, master code and API keys',
  resources: {
    /** An API key belongs to the user who made it. */
    api_key: { table: 'api_keys', owner: 'user_id' },
    master_code: { table: 'master_codes', owner: null },
    settings: { table: 'settings', owner: null },
  },
  services: (core) => ({
    security: new SecurityService({
      database: core.database,
      roles: core.roles,
      audit: core.audit,
      hasher: core.hasher,
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(securityRoutes, { security: s.security }),
  settings: { security: { schema: SecuritySettings, default: DEFAULT_SECURITY } },
  audit: [
    'settings.security',
    'security.master_code.rotate',
    'security.master_code.disabled',
    'security.api_key.create',
    'security.api_key.revoke',
  ],
  web: WEB_MODULES.security,
});
