import type { FastifyInstance } from 'fastify';
import { SetupBody, SetupResult, SetupStatus } from '../../../shared/contracts/setup.ts';
import { anonCtxOf, responses, zod } from '../../http/route.ts';
import type { SetupService } from './setup.service.ts';

export async function setupRoutes(app: FastifyInstance, opts: { setup: SetupService }): Promise<void> {
  const { setup } = opts;
  zod(app).get(
    '/setup',
    {
      config: { public: true },
      schema: {
        tags: ['setup'],
        summary: 'Whether first-run setup is still needed',
        response: responses({ 200: SetupStatus }),
      },
    },
    async (request) => setup.status(anonCtxOf(request)),
  );
  zod(app).post(
    '/setup',
    {
      config: { public: true },
      schema: {
        tags: ['setup'],
        summary: 'First run: business, template and the first admin (only once)',
        body: SetupBody,
        response: responses({ 201: SetupResult }, 409, 422),
      },
    },
    async (request, reply) => {
      const { adminId } = await setup.complete(anonCtxOf(request), request.body);
      return reply.status(201).send({ ok: true as const, adminId });
    },
  );
}
