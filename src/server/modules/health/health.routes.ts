import type { FastifyInstance } from 'fastify';
import { Health, Ready } from '../../../shared/contracts/health.ts';
import { type Database, pendingMigrations, ping } from '../../db/database.ts';
import { zod } from '../../http/route.ts';

/** Liveness and readiness probes (outside /api/v1, as orchestrators expect). */
export async function healthRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const { database } = opts;
  zod(app).get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'The process is alive', response: { 200: Health } },
    },
    async () => ({ status: 'ok' as const }),
  );
  zod(app).get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The database is reachable and its schema is current',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      let reachable = true;
      let pending: string[] = [];
      try {
        await ping(database.db);
        pending = await pendingMigrations(database.db);
      } catch {
        reachable = false;
      }
      const ready = reachable && pending.length === 0;
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not-ready',
        database: { engine: database.engine, reachable },
        migrations: { current: reachable && pending.length === 0, pending },
      });
    },
  );
}
