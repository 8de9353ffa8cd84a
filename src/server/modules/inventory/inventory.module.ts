import { InventorySettings } from '../../../shared/contracts/inventory.ts';
import { WEB_MODULES } from '../../../shared/modules.ts';
import { defineModule } from '../module.ts';
import { CatalogService } from './catalog.service.ts';
import { CountsService } from './counts.service.ts';
import { inventoryRoutes } from './inventory.routes.ts';
import { DEFAULT_INVENTORY, ItemsService } from './items.service.ts';

/** Items and their stock ledger, categories, suppliers and stocktakes. */
export const inventoryModule = defineModule({
  key: 'inventory',
  label: 'Items, stock, categories, suppliers and stocktakes',
  resources: {
    item: { table: 'items', owner: null },
    category: { table: 'categories', owner: null },
    supplier: { table: 'suppliers', owner: null },
    stock_count: { table: 'stock_counts', owner: null },
  },
  services: (core) => {
    const deps = { engine: core.database.engine, audit: core.audit, now: core.now };
    const items = new ItemsService(deps);
    return { items, catalog: new CatalogService(deps), counts: new CountsService({ ...deps, items }) };
  },
  routes: (app, s) => app.register(inventoryRoutes, { items: s.items, catalog: s.catalog, counts: s.counts }),
  settings: { inventory: { schema: InventorySettings, default: DEFAULT_INVENTORY } },
  audit: [
    'inventory.create',
    'inventory.update',
    'inventory.archive',
    'inventory.restore',
    'inventory.stock',
    'inventory.import',
    'inventory.export',
    'inventory.bulk_edit',
    'inventory.count_open',
    'inventory.count_record',
    'inventory.count_post',
    'inventory.count_cancel',
    'categories.create',
    'categories.update',
    'categories.archive',
    'categories.restore',
    'suppliers.create',
    'suppliers.update',
    'suppliers.archive',
    'suppliers.restore',
    'settings.inventory',
  ],
  web: WEB_MODULES.inventory,
});
