import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { permissionsRoutes } from './permissions.routes.ts';
import { PermissionsService } from './permissions.service.ts';

/** Who may do what: per-user grants and denies, approvals of critical grants, roles. */
export const permissionsModule = defineModule({
  key: 'permissions',
  label: 'Permissions, approvals and roles',
  resources: {
    role: { table: 'roles', owner: null },
    permission_request: { table: 'permission_requests', owner: null },
    role_request: { table: 'role_requests', owner: null },
  },
  services: (core): { permissions: PermissionsService } => ({
    permissions: new PermissionsService({
      database: core.database,
      roles: core.roles,
      audit: core.audit,
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(permissionsRoutes, { permissions: s.permissions }),
  audit: [
    'permissions.change',
    'permissions.grant_requested',
    'permissions.grant_approved',
    'permissions.grant_rejected',
    'roles.create',
    'roles.update',
    'roles.delete',
    'roles.change_requested',
    'roles.request_approved',
    'roles.request_rejected',
    'roles.assigned',
  ],
  web: WEB_MODULES.permissions,
});
