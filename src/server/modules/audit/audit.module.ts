import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { auditRoutes } from './audit.routes.ts';

/** The audit log: search, export, verification and signed checkpoints (the service is core). */
export const auditModule = defineModule({
  key: 'audit',
  label: 'The audit log',
  resources: {
    /** An audit event belongs to the user who acted. */
    audit_event: { table: 'audit_events', owner: 'actor_user_id' },
    /** The chain as a whole (verification, checkpoints): nobody owns all of it. */
    audit_chain: { table: 'audit_events', owner: null },
  },
  routes: (app, s) => app.register(auditRoutes, { audit: s.audit }),
  audit: ['audit.export', 'audit.checkpoint'],
  web: WEB_MODULES.audit,
});
