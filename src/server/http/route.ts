import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { Problem } from '../../shared/contracts/common.ts';
import { type Context, contextFor } from '../modules/context.ts';
import type { Actor, RequestContext } from './actor.ts';
import { actorOf } from './guard.ts';

/** The app with Zod schemas typing requests and responses. */
export type App = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

export function zod(app: FastifyInstance) {
  return app.withTypeProvider<ZodTypeProvider>();
}

/** Response schemas: the success schema plus the problem documents a route can answer with. */
type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export function responses<T extends Record<number, z.ZodType>, S extends ProblemStatus>(
  ok: T,
  ...problemStatuses: S[]
) {
  const out: Record<number, z.ZodType> = { ...ok };
  for (const s of [400, 401, 403, 500, ...problemStatuses]) out[s] = Problem;
  return out as T & Record<400 | 401 | 403 | 500 | S, typeof Problem>;
}

export function contextOf(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return {
    requestId: String(request.id),
    ip: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
  };
}

/** The unit of work of a request made by a signed-in actor (401 when there is none). */
export function ctxOf(request: FastifyRequest): Context {
  return contextFor(request.server.services.database.db, actorOf(request), contextOf(request));
}

/** The unit of work of a request that may have no actor (public routes: signing in, first setup). */
export function anonCtxOf(request: FastifyRequest): Context<Actor | null> {
  return contextFor(request.server.services.database.db, request.actor ?? null, contextOf(request));
}
