import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ApiKey,
  CreateApiKeyBody,
  CreatedApiKey,
  MasterCodeStatus,
  RotatedCode,
  SecuritySettings,
} from '../../../shared/contracts/security.ts';
import { Id } from '../../../shared/contracts/users.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { scopeOf } from '../../http/scope.ts';
import type { SecurityService } from './security.service.ts';

export async function securityRoutes(app: FastifyInstance, opts: { security: SecurityService }) {
  const { security } = opts;
  const r = zod(app);
  const tags = ['security'];
  r.get(
    '/settings/security',
    {
      config: { permission: 'settings.view', resource: 'settings' },
      schema: {
        tags,
        summary: 'Session, login, elevation and password settings',
        response: responses({ 200: SecuritySettings }),
      },
    },
    async (request) => security.settings(ctxOf(request)),
  );
  r.put(
    '/settings/security',
    {
      config: { permission: 'settings.edit', resource: 'settings' },
      schema: {
        tags,
        summary: 'Change the security settings',
        body: SecuritySettings,
        response: responses({ 200: SecuritySettings }, 422),
      },
    },
    async (request) => security.saveSettings(ctxOf(request), request.body),
  );
  r.get(
    '/security/master-code',
    {
      config: { permission: 'security.rotate_code', resource: 'master_code' },
      schema: {
        tags,
        summary: 'Whether a master code is set, and why it does not work when it does not',
        response: responses({ 200: MasterCodeStatus }),
      },
    },
    async (request) => security.masterCodeStatus(ctxOf(request)),
  );
  r.post(
    '/security/master-code/rotate',
    {
      config: { permission: 'security.rotate_code', resource: 'master_code' },
      schema: {
        tags,
        summary: 'Generate a new master code (shown once); the old one stops working at once',
        response: responses({ 200: RotatedCode }),
      },
    },
    async (request) => security.rotateMasterCode(ctxOf(request)),
  );
  r.get(
    '/api-keys',
    {
      config: { permission: 'security.api_keys', resource: 'api_key' },
      schema: { tags, summary: 'API keys', response: responses({ 200: z.object({ items: z.array(ApiKey) }) }) },
    },
    async (request) => ({ items: await security.listApiKeys(ctxOf(request), scopeOf(request, 'api_key')) }),
  );
  r.post(
    '/api-keys',
    {
      config: { permission: 'security.api_keys', resource: 'api_key' },
      schema: {
        tags,
        summary: 'Create an API key with a subset of your permissions (the key is shown once)',
        body: CreateApiKeyBody,
        response: responses({ 201: CreatedApiKey }, 422),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await security.createApiKey(ctxOf(request), scopeOf(request, 'api_key'), request.body)),
  );
  r.delete(
    '/api-keys/:id',
    {
      config: { permission: 'security.api_keys', resource: 'api_key' },
      schema: {
        tags,
        summary: 'Revoke an API key (it stops working at once; the record stays)',
        params: z.object({ id: Id }),
        response: responses({ 200: ApiKey }, 404, 409),
      },
    },
    async (request) => security.revokeApiKey(ctxOf(request), scopeOf(request, 'api_key'), request.params.id),
  );
}
