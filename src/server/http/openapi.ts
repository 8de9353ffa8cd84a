/**
 * The OpenAPI document: how routes become operations, and the finishing touches that make the
 * document usable by standard tools (linters, client generators). `npm run check:openapi`
 * lints it and generates a typed client from it; test/openapi.test.ts checks every $ref.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { API_KEY_PREFIX } from '../../shared/api-keys.ts';

type Operation = {
  operationId?: string;
  'x-permission'?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
};
type Document = { paths?: Record<string, Record<string, Operation>> } & Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PROBLEM = { $ref: '#/components/schemas/Problem' };

/**
 * A stable operationId from the method and path, for client generators:
 * `POST /api/v1/users/{id}/reset-password` → `postUsersByIdResetPassword`.
 */
export function operationIdFor(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v\d+/, '')
    .split('/')
    .filter(Boolean)
    .flatMap((part) => {
      const param = /^[{:](\w+)}?$/.exec(part);
      return param ? ['by', param[1] ?? ''] : part.split(/[^A-Za-z0-9]+/);
    })
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: PROBLEM } } };
}

/** @fastify/swagger options: routes described by their Zod schemas, named schemas in components. */
export function openApiOptions(
  info: { title: string; version: string; description: string },
  /** One tag per module; each operation carries its module's tag. */
  tags: readonly { name: string; description: string }[] = [],
): FastifyDynamicSwaggerOptions {
  const security: Record<string, string[]>[] = [{ session: [] }, { apiKey: [] }];
  return {
    openapi: {
      openapi: '3.1.0',
      info,
      tags: [...tags],
      // Relative: the document describes the server it is served by.
      servers: [{ url: '/', description: 'This Steward server' }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'steward_session' },
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: `A Steward API key (${API_KEY_PREFIX}…), never in the address`,
          },
        },
      },
      // Every operation needs a signed-in session or an API key, unless marked public below.
      security,
    },
    transform: (arg) => {
      const out = jsonSchemaTransform(arg);
      const config = (arg.route.config ?? {}) as { permission?: string; public?: boolean; module?: string };
      const guard = config.permission ?? (config.public ? 'public' : 'authenticated');
      const schema: Record<string, unknown> = { ...out.schema, 'x-permission': guard };
      if (config.module !== undefined) schema.tags = [config.module];
      return { ...out, schema: schema as typeof out.schema };
    },
    // Fills components.schemas with every schema named by `.meta({ id })` (the operations
    // refer to them by $ref; without this the document points at schemas that are not there),
    // then gives each operation what generators and linters expect.
    transformObject: (arg) => finishDocument(jsonSchemaTransformObject(arg) as Document),
  };
}

/**
 * operationIds, per-operation security, the guard's refusals where a route lists none, and the
 * full-disk refusal (507) on every operation that writes.
 */
export function finishDocument<D extends Document>(document: D): D {
  for (const [url, item] of Object.entries(document.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      op.operationId ??= operationIdFor(method, url);
      // Any write can find the disk full (a sign-in writes its session too).
      if (method !== 'get' && method !== 'head') {
        op.responses ??= {};
        op.responses['507'] ??= problemResponse("The server's disk is full: nothing was saved");
      }
      const guard = op['x-permission'];
      if (guard === 'public') {
        op.security = [];
        continue;
      }
      // Streamed downloads declare no response schemas; the guard still refuses.
      op.responses ??= {};
      const responses = op.responses;
      responses['401'] ??= problemResponse('Not signed in (no valid session or API key)');
      if (guard !== 'authenticated') responses['403'] ??= problemResponse(`Needs the ${guard} permission`);
    }
  }
  pruneUnusedSchemas(document);
  return document;
}

/** `#/components/schemas/X` references anywhere under a node. */
function schemaRefs(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const child of node) schemaRefs(child, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        out.add(value.slice('#/components/schemas/'.length));
      } else schemaRefs(value, out);
    }
  }
  return out;
}

/**
 * The provider emits an input and an output variant of every named schema (`Item`,
 * `ItemInput`); keep only those some operation refers to, directly or through another schema.
 */
function pruneUnusedSchemas(document: Document) {
  const schemas = (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
  if (!schemas) return;
  const used = schemaRefs(document.paths, new Set());
  const queue = [...used];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    for (const ref of schemaRefs(schemas[name], new Set())) {
      if (!used.has(ref)) {
        used.add(ref);
        queue.push(ref);
      }
    }
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}
