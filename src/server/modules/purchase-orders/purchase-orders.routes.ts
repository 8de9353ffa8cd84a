import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Ok } from '../../../shared/contracts/auth.ts';
import {
  PurchaseOrder,
  PurchaseOrderBody,
  PurchaseOrderList,
  PurchaseOrderStatus,
  ReceiveBody,
  SupplySuggestions,
  SupplySuggestionsQuery,
} from '../../../shared/contracts/inventory.ts';
import { sendDownload } from '../../http/download.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { uploadedFile, uploadRoutes } from '../../http/upload.ts';
import { INVOICE_MAX_BYTES, type PurchaseOrdersService } from './purchase-orders.service.ts';

const IdParams = z.object({ id: z.string().max(64) });

export async function purchaseOrdersRoutes(app: FastifyInstance, opts: { orders: PurchaseOrdersService }) {
  const { orders } = opts;
  const r = zod(app);
  const tags = ['purchase orders'];
  r.get(
    '/purchase-orders',
    {
      config: { permission: 'orders.view', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Purchase orders, newest first',
        querystring: z.object({ status: z.union([PurchaseOrderStatus, z.enum(['open', 'all'])]).default('all') }),
        response: responses({ 200: PurchaseOrderList }),
      },
    },
    async (request) => ({ items: await orders.list(ctxOf(request), request.query.status) }),
  );
  r.get(
    '/purchase-orders/suggestions',
    {
      config: { permission: 'orders.create', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'What to order: low-stock items grouped by supplier, a page of groups at a time',
        querystring: SupplySuggestionsQuery,
        response: responses({ 200: SupplySuggestions }, 422),
      },
    },
    async (request) => orders.suggestions(ctxOf(request), request.query),
  );
  r.post(
    '/purchase-orders',
    {
      config: { permission: 'orders.create', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Draft a purchase order',
        body: PurchaseOrderBody,
        response: responses({ 201: PurchaseOrder }, 422),
      },
    },
    async (request, reply) => reply.status(201).send(await orders.create(ctxOf(request), request.body)),
  );
  r.get(
    '/purchase-orders/:id',
    {
      config: { permission: 'orders.view', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'One purchase order',
        params: IdParams,
        response: responses({ 200: PurchaseOrder }, 404),
      },
    },
    async (request) => orders.get(ctxOf(request), request.params.id),
  );
  r.put(
    '/purchase-orders/:id',
    {
      config: { permission: 'orders.edit', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Change an order on which nothing was received',
        params: IdParams,
        body: PurchaseOrderBody,
        response: responses({ 200: PurchaseOrder }, 404, 409, 422),
      },
    },
    async (request) => orders.update(ctxOf(request), request.params.id, request.body),
  );
  r.post(
    '/purchase-orders/:id/place',
    {
      config: { permission: 'orders.create', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Place a draft order with the supplier',
        params: IdParams,
        response: responses({ 200: PurchaseOrder }, 404, 409),
      },
    },
    async (request) => orders.place(ctxOf(request), request.params.id),
  );
  r.post(
    '/purchase-orders/:id/cancel',
    {
      config: { permission: 'orders.edit', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Cancel an open order (what was received stays received)',
        params: IdParams,
        response: responses({ 200: PurchaseOrder }, 404, 409),
      },
    },
    async (request) => orders.cancel(ctxOf(request), request.params.id),
  );
  r.post(
    '/purchase-orders/:id/receive',
    {
      config: { permission: 'orders.receive', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Receive part or all of some lines: receipt movements raise the stock',
        params: IdParams,
        body: ReceiveBody,
        response: responses({ 200: PurchaseOrder }, 404, 409, 422),
      },
    },
    async (request) => orders.receive(ctxOf(request), request.params.id, request.body),
  );
  r.delete(
    '/purchase-orders/:id',
    {
      config: { permission: 'orders.delete', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'Delete an order on which nothing was received',
        params: IdParams,
        response: responses({ 200: Ok }, 404, 409),
      },
    },
    async (request) => {
      await orders.remove(ctxOf(request), request.params.id);
      return { ok: true as const };
    },
  );
  await uploadRoutes(app, (u) => {
    u.post(
      '/purchase-orders/:id/invoice',
      {
        config: { permission: 'orders.upload_invoice', resource: 'purchase_order' },
        schema: {
          tags,
          summary: 'Attach the supplier’s invoice (a PDF of at most 10 MB, multipart/form-data)',
          params: IdParams,
          response: responses({ 200: PurchaseOrder }, 404, 413, 415, 422),
        },
      },
      async (request) => {
        const file = await uploadedFile(request, INVOICE_MAX_BYTES);
        return orders.attachInvoice(ctxOf(request), request.params.id, file);
      },
    );
  });
  r.get(
    '/purchase-orders/:id/pdf',
    {
      config: { permission: 'orders.view', resource: 'purchase_order' },
      schema: {
        tags,
        summary: 'The order as a PDF to send to the supplier (attachment PO-000042.pdf)',
        params: IdParams,
      },
    },
    async (request, reply) => {
      const file = await orders.pdf(ctxOf(request), request.params.id);
      return sendDownload(reply, {
        name: file.name,
        type: 'pdf',
        body: Readable.from([file.data]),
        size: file.data.length,
      });
    },
  );
  r.get(
    '/purchase-orders/:id/invoice',
    {
      config: { permission: 'orders.view', resource: 'purchase_order' },
      schema: { tags, summary: 'Download the invoice PDF', params: IdParams },
    },
    async (request, reply) => {
      const inv = await orders.invoice(ctxOf(request), request.params.id);
      return sendDownload(reply, { name: inv.name, type: 'pdf', body: inv.stream, size: inv.size });
    },
  );
}
