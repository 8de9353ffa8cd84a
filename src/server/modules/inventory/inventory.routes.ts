import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  BulkEditBody,
  BulkEditResult,
  Category,
  CategoryBody,
  CategoryList,
  CountLinesBody,
  CreateItemBody,
  ImportPreview,
  ImportResult,
  InventorySettings,
  Item,
  ItemFilter,
  ItemList,
  ItemListQuery,
  MovementList,
  OpenCountBody,
  StockChangeBody,
  StockChangeResult,
  StockCount,
  StockCountList,
  Supplier,
  SupplierBody,
  SupplierList,
  UpdateItemBody,
} from '../../../shared/contracts/inventory.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { notModified } from '../../http/conditional.ts';
import { exportName, sendDownload } from '../../http/download.ts';
import { requirePermission } from '../../http/guard.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { uploadedFile, uploadRoutes } from '../../http/upload.ts';
import type { CatalogService } from './catalog.service.ts';
import type { CountsService } from './counts.service.ts';
import type { ItemsService } from './items.service.ts';

const IdParams = z.object({ id: z.string().max(64) });
const Archived = z.object({ archived: z.enum(['true', 'false']).default('false') });
/**
 * What each bulk-edit field needs besides `inventory.bulk_edit`: what its single-item route needs
 * (PATCH /items/:id is inventory.edit; archive and restore are inventory.delete). A bulk edit is
 * never a way around a single-item permission.
 */
const BULK_FIELD_PERMISSIONS: Record<keyof BulkEditBody['set'], Permission> = {
  vatRateBp: 'inventory.edit',
  categoryId: 'inventory.edit',
  reorderLevel: 'inventory.edit',
  preferredSupplierId: 'inventory.edit',
  active: 'inventory.delete',
};
export const IMPORT_MAX_BYTES = 20 * 1024 * 1024;

export async function inventoryRoutes(
  app: FastifyInstance,
  opts: { items: ItemsService; catalog: CatalogService; counts: CountsService },
) {
  const { items, catalog, counts } = opts;
  const r = zod(app);

  // --- categories -------------------------------------------------------------------------------
  r.get(
    '/categories',
    {
      config: { permission: 'categories.view', resource: 'category' },
      schema: {
        tags: ['categories'],
        summary: 'Categories',
        querystring: Archived,
        response: responses({ 200: CategoryList }),
      },
    },
    async (request) => ({ items: await catalog.categories(ctxOf(request), request.query.archived === 'true') }),
  );
  r.post(
    '/categories',
    {
      config: { permission: 'categories.add', resource: 'category' },
      schema: {
        tags: ['categories'],
        summary: 'Create a category',
        body: CategoryBody,
        response: responses({ 201: Category }, 422),
      },
    },
    async (request, reply) => reply.status(201).send(await catalog.saveCategory(ctxOf(request), null, request.body)),
  );
  r.put(
    '/categories/:id',
    {
      config: { permission: 'categories.edit', resource: 'category' },
      schema: {
        tags: ['categories'],
        summary: 'Rename a category',
        params: IdParams,
        body: CategoryBody,
        response: responses({ 200: Category }, 404, 422),
      },
    },
    async (request) => catalog.saveCategory(ctxOf(request), request.params.id, request.body),
  );
  for (const [verb, archived] of [
    ['archive', true],
    ['restore', false],
  ] as const) {
    r.post(
      `/categories/:id/${verb}`,
      {
        config: { permission: 'categories.delete', resource: 'category' },
        schema: {
          tags: ['categories'],
          summary: archived ? 'Archive a category with no active items' : 'Restore a category',
          params: IdParams,
          response: responses({ 200: Category }, 404, 409),
        },
      },
      async (request) => catalog.archiveCategory(ctxOf(request), request.params.id, archived),
    );
  }

  // --- suppliers -------------------------------------------------------------------------------
  r.get(
    '/suppliers',
    {
      config: { permission: 'suppliers.view', resource: 'supplier' },
      schema: {
        tags: ['suppliers'],
        summary: 'Suppliers',
        querystring: Archived,
        response: responses({ 200: SupplierList }),
      },
    },
    async (request) => ({ items: await catalog.suppliers(ctxOf(request), request.query.archived === 'true') }),
  );
  r.post(
    '/suppliers',
    {
      config: { permission: 'suppliers.add', resource: 'supplier' },
      schema: {
        tags: ['suppliers'],
        summary: 'Create a supplier',
        body: SupplierBody,
        response: responses({ 201: Supplier }, 422),
      },
    },
    async (request, reply) => reply.status(201).send(await catalog.saveSupplier(ctxOf(request), null, request.body)),
  );
  r.put(
    '/suppliers/:id',
    {
      config: { permission: 'suppliers.edit', resource: 'supplier' },
      schema: {
        tags: ['suppliers'],
        summary: 'Change a supplier',
        params: IdParams,
        body: SupplierBody,
        response: responses({ 200: Supplier }, 404, 422),
      },
    },
    async (request) => catalog.saveSupplier(ctxOf(request), request.params.id, request.body),
  );
  for (const [verb, archived] of [
    ['archive', true],
    ['restore', false],
  ] as const) {
    r.post(
      `/suppliers/:id/${verb}`,
      {
        config: { permission: 'suppliers.delete', resource: 'supplier' },
        schema: {
          tags: ['suppliers'],
          summary: archived ? 'Archive a supplier with no open orders' : 'Restore a supplier',
          params: IdParams,
          response: responses({ 200: Supplier }, 404, 409),
        },
      },
      async (request) => catalog.archiveSupplier(ctxOf(request), request.params.id, archived),
    );
  }

  // --- items -----------------------------------------------------------------------------------
  r.get(
    '/items',
    {
      config: { permission: 'inventory.view', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'Search, filter, sort and page items',
        querystring: ItemListQuery,
        response: responses({ 200: ItemList }),
      },
    },
    async (request, reply) => {
      const ctx = ctxOf(request);
      // One read gives the ETag and the version the total's cached count is checked against.
      const versions = await items.versions(ctx);
      if (notModified(request, reply, 'items', versions.items)) return reply;
      return items.list(ctx, request.query, versions.itemCounts);
    },
  );
  r.post(
    '/items',
    {
      config: { permission: 'inventory.add', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'Create an item (optionally with opening stock)',
        body: CreateItemBody,
        response: responses({ 201: Item }, 422),
      },
    },
    async (request, reply) => reply.status(201).send(await items.create(ctxOf(request), request.body)),
  );
  r.get(
    '/items/export',
    {
      config: { permission: 'inventory.export', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'Download the filtered items as CSV or XLSX (streamed; the export is audited)',
        querystring: ItemFilter.extend({ format: z.enum(['csv', 'xlsx']).default('csv') }),
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const body = await items.export(ctxOf(request), format, filter);
      return sendDownload(reply, { name: exportName('items', format), type: format, body });
    },
  );
  await uploadRoutes(app, (u) => {
    u.post(
      '/items/import/preview',
      {
        config: { permission: 'inventory.import', resource: 'item' },
        schema: {
          tags: ['inventory'],
          summary: 'Check a CSV or XLSX file without writing anything: counts, and problems by row and column',
          response: responses({ 200: ImportPreview }, 413, 415, 422),
        },
      },
      async (request) => {
        const file = await uploadedFile(request, IMPORT_MAX_BYTES);
        return items.previewImport(ctxOf(request), file.data);
      },
    );
    u.post(
      '/items/import',
      {
        config: { permission: 'inventory.import', resource: 'item' },
        schema: {
          tags: ['inventory'],
          summary:
            'Import a CSV or XLSX file: nothing when any row has a problem; else every row, in short transactions (a conflict met midway keeps the rows before it and says so)',
          response: responses({ 200: ImportResult }, 409, 413, 415, 422),
        },
      },
      async (request) => {
        const file = await uploadedFile(request, IMPORT_MAX_BYTES);
        return items.import(ctxOf(request), file.data, file.name);
      },
    );
  });
  r.post(
    '/items/bulk-edit',
    {
      config: { permission: 'inventory.bulk_edit', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary:
          'Set VAT rate, category, reorder level, preferred supplier or active for a filtered set, in one transaction',
        body: BulkEditBody,
        response: responses({ 200: BulkEditResult }, 422),
      },
    },
    async (request) => {
      // Each field needs what its single-item route needs: archiving or restoring is inventory.delete.
      for (const [field, permission] of Object.entries(BULK_FIELD_PERMISSIONS)) {
        if (request.body.set[field as keyof typeof request.body.set] !== undefined) {
          await requirePermission(request, permission);
        }
      }
      return items.bulkEdit(ctxOf(request), request.body);
    },
  );
  r.get(
    '/items/:id',
    {
      config: { permission: 'inventory.view', resource: 'item' },
      schema: { tags: ['inventory'], summary: 'One item', params: IdParams, response: responses({ 200: Item }, 404) },
    },
    async (request, reply) => {
      const ctx = ctxOf(request);
      if (notModified(request, reply, 'items', await items.version(ctx))) return reply;
      return items.get(ctx, request.params.id);
    },
  );
  r.patch(
    '/items/:id',
    {
      config: { permission: 'inventory.edit', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'Change item details (stock changes only through stock movements)',
        params: IdParams,
        body: UpdateItemBody,
        response: responses({ 200: Item }, 404, 422),
      },
    },
    async (request) => items.update(ctxOf(request), request.params.id, request.body),
  );
  for (const [verb, active] of [
    ['archive', false],
    ['restore', true],
  ] as const) {
    r.post(
      `/items/:id/${verb}`,
      {
        config: { permission: 'inventory.delete', resource: 'item' },
        schema: {
          tags: ['inventory'],
          summary: active ? 'Restore an archived item' : 'Archive an item (its history is kept)',
          params: IdParams,
          response: responses({ 200: Item }, 404, 409),
        },
      },
      async (request) => items.setActive(ctxOf(request), request.params.id, active),
    );
  }
  r.post(
    '/items/:id/stock',
    {
      config: { permission: 'inventory.manage_stock', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'Stock in, stock out, or an adjustment with a reason: one ledger movement',
        params: IdParams,
        body: StockChangeBody,
        response: responses({ 200: StockChangeResult }, 404, 409, 422),
      },
    },
    async (request) => items.stock(ctxOf(request), request.params.id, request.body),
  );
  r.get(
    '/items/:id/movements',
    {
      config: { permission: 'inventory.view', resource: 'item' },
      schema: {
        tags: ['inventory'],
        summary: 'The item’s stock ledger, newest first',
        params: IdParams,
        querystring: z.object({
          before: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: responses({ 200: MovementList }, 404),
      },
    },
    async (request) => items.movements(ctxOf(request), request.params.id, request.query.before, request.query.limit),
  );

  // --- settings ----------------------------------------------------------------------------------
  r.get(
    '/settings/inventory',
    {
      config: { permission: 'settings.view', resource: 'settings' },
      schema: { tags: ['inventory'], summary: 'Inventory settings', response: responses({ 200: InventorySettings }) },
    },
    async (request) => items.settings(ctxOf(request)),
  );
  r.put(
    '/settings/inventory',
    {
      config: { permission: 'settings.edit', resource: 'settings' },
      schema: {
        tags: ['inventory'],
        summary: 'Change inventory settings',
        body: InventorySettings,
        response: responses({ 200: InventorySettings }, 422),
      },
    },
    async (request) => items.saveSettings(ctxOf(request), request.body),
  );

  // --- stocktakes --------------------------------------------------------------------------------
  const tags = ['stocktake'];
  r.get(
    '/stock-counts',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: { tags, summary: 'Stocktakes', response: responses({ 200: StockCountList }) },
    },
    async (request) => ({ items: await counts.list(ctxOf(request)) }),
  );
  r.post(
    '/stock-counts',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: {
        tags,
        summary: 'Open a stocktake: snapshot the expected stock of the chosen items',
        body: OpenCountBody,
        response: responses({ 201: StockCount }, 422),
      },
    },
    async (request, reply) => reply.status(201).send(await counts.open(ctxOf(request), request.body)),
  );
  r.get(
    '/stock-counts/:id',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: {
        tags,
        summary: 'One stocktake with its lines',
        params: IdParams,
        response: responses({ 200: StockCount }, 404),
      },
    },
    async (request) => counts.get(ctxOf(request), request.params.id),
  );
  r.put(
    '/stock-counts/:id/lines',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: {
        tags,
        summary: 'Enter counted quantities',
        params: IdParams,
        body: CountLinesBody,
        response: responses({ 200: StockCount }, 404, 409, 422),
      },
    },
    async (request) => counts.record(ctxOf(request), request.params.id, request.body.lines),
  );
  r.post(
    '/stock-counts/:id/post',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: {
        tags,
        summary: 'Post the differences as count movements',
        params: IdParams,
        response: responses({ 200: StockCount }, 404, 409),
      },
    },
    async (request) => counts.post(ctxOf(request), request.params.id),
  );
  r.post(
    '/stock-counts/:id/cancel',
    {
      config: { permission: 'inventory.count', resource: 'stock_count' },
      schema: {
        tags,
        summary: 'Cancel a stocktake (nothing is posted)',
        params: IdParams,
        response: responses({ 200: StockCount }, 404, 409),
      },
    },
    async (request) => counts.cancel(ctxOf(request), request.params.id),
  );
}
