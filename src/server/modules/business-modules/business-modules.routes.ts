import type { FastifyInstance } from 'fastify';
import { BusinessModuleList, ModuleKeyParams, SwitchModuleBody } from '../../../shared/contracts/modules.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import type { BusinessModulesService } from './business-modules.service.ts';

export async function businessModulesRoutes(app: FastifyInstance, opts: { modules: BusinessModulesService }) {
  const { modules } = opts;
  const r = zod(app);
  const tags = ['business-modules'];
  r.get(
    '/settings/modules',
    {
      config: { permission: 'settings.view', resource: 'settings' },
      schema: {
        tags,
        summary: 'The business modules: which are on, what each needs and what needs it',
        response: responses({ 200: BusinessModuleList }),
      },
    },
    async (request) => ({ items: await modules.list(ctxOf(request)) }),
  );
  r.put(
    '/settings/modules/:key',
    {
      config: { permission: 'settings.edit', resource: 'settings' },
      schema: {
        tags,
        summary:
          'Switch a module on (with the modules it needs) or off (hides its screens and permissions and refuses its routes; deletes nothing)',
        params: ModuleKeyParams,
        body: SwitchModuleBody,
        response: responses({ 200: BusinessModuleList }, 404, 409),
      },
    },
    async (request) => ({ items: await modules.switch(ctxOf(request), request.params.key, request.body.on) }),
  );
}
