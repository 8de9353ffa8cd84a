import type { FastifyInstance } from 'fastify';
import { BusinessDetails, BusinessDetailsBody } from '../../../shared/contracts/business.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import type { BusinessService } from './business.service.ts';

export async function businessRoutes(app: FastifyInstance, opts: { business: BusinessService }) {
  const { business } = opts;
  const r = zod(app);
  const tags = ['business'];
  r.get(
    '/settings/business',
    {
      config: { permission: 'settings.view', resource: 'settings' },
      schema: {
        tags,
        summary: "The business's name, time zone, contact details, currency and template",
        response: responses({ 200: BusinessDetails }, 409),
      },
    },
    async (request) => business.details(ctxOf(request)),
  );
  r.put(
    '/settings/business',
    {
      config: { permission: 'settings.edit', resource: 'settings' },
      schema: {
        tags,
        summary: 'Change the business name, time zone or contact details (currency and template are fixed at setup)',
        body: BusinessDetailsBody,
        response: responses({ 200: BusinessDetails }, 409),
      },
    },
    async (request) => business.save(ctxOf(request), request.body),
  );
}
