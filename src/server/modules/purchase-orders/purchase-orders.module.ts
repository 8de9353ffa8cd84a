import { WEB_MODULES } from '../../../shared/modules.ts';
import { inventoryModule } from '../inventory/inventory.module.ts';
import { defineModule } from '../module.ts';
import { purchaseOrdersRoutes } from './purchase-orders.routes.ts';
import { PurchaseOrdersService } from './purchase-orders.service.ts';

/** Purchase orders: draft → ordered → (partly) received, or cancelled; invoices. */
export const purchaseOrdersModule = defineModule({
  key: 'purchase-orders',
  label: 'Purchase orders and deliveries',
  resources: { purchase_order: { table: 'purchase_orders', owner: null } },
  uses: [inventoryModule],
  services: (core, { items, catalog }) => ({
    orders: new PurchaseOrdersService({
      engine: core.database.engine,
      audit: core.audit,
      items,
      catalog,
      dataDir: core.config.dataDir,
      now: core.now,
    }),
  }),
  routes: (app, s) => app.register(purchaseOrdersRoutes, { orders: s.orders }),
  audit: [
    'orders.create',
    'orders.update',
    'orders.place',
    'orders.cancel',
    'orders.delete',
    'orders.invoice',
    'orders.receive',
  ],
  web: WEB_MODULES['purchase-orders'],
});
