import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { markRoutesPublic } from './guard.ts';

/**
 * Serves the built web app: hashed assets with long caching, and index.html for every other
 * browser navigation outside /api (client-side routes). Its routes are public by nature.
 */
export async function registerWeb(app: FastifyInstance, webDist: string | null) {
  const index = webDist ? path.join(webDist, 'index.html') : null;
  const html = index && existsSync(index) ? readFileSync(index) : null;
  if (webDist && html) {
    await app.register(async (scope) => {
      markRoutesPublic(scope);
      await scope.register(fastifyStatic, {
        root: webDist,
        wildcard: false,
        index: false,
        decorateReply: false,
        setHeaders: (res, filePath) => {
          if (filePath.includes(`${path.sep}assets${path.sep}`)) {
            res.header('cache-control', 'public, max-age=31536000, immutable');
          }
        },
      });
    });
  }
  /**
   * Answers any GET/HEAD outside /api that matched no route and no file with the app shell,
   * whatever the Accept header (`curl /`, link checkers, prefetchers get the page too); false
   * when the request is not one. A missing hashed asset stays a 404: HTML is not a script.
   */
  return function spaFallback(request: FastifyRequest, reply: FastifyReply): boolean {
    const pathname = request.url.split('?')[0] ?? '';
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (pathname === '/api' || pathname.startsWith('/api/') || pathname.startsWith('/assets/')) return false;
    if (!html) {
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built. Run `npm run build` (npm start does it for you), or use `npm run dev`.');
      return true;
    }
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
    return true;
  };
}
