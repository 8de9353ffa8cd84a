/**
 * Every module of the server, in the order their services are built and their routes
 * registered. Adding a module is its folder (with its `<area>.module.ts`) plus one line here.
 */
import { auditModule } from './audit/audit.module.ts';
import { authModule } from './auth/auth.module.ts';
import { businessModule } from './business/business.module.ts';
import { businessModulesModule } from './business-modules/business-modules.module.ts';
import { healthModule } from './health/health.module.ts';
import { inventoryModule } from './inventory/inventory.module.ts';
import { permissionsModule } from './permissions/permissions.module.ts';
import { purchaseOrdersModule } from './purchase-orders/purchase-orders.module.ts';
import { securityModule } from './security/security.module.ts';
import { setupModule } from './setup/setup.module.ts';
import { twoFactorModule } from './two-factor/two-factor.module.ts';
import { usersModule } from './users/users.module.ts';

export const MODULES = [
  healthModule,
  setupModule,
  twoFactorModule,
  authModule,
  usersModule,
  permissionsModule,
  securityModule,
  businessModule,
  businessModulesModule,
  auditModule,
  inventoryModule,
  purchaseOrdersModule,
] as const;
