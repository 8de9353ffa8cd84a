import type { FastifyInstance } from 'fastify';
import { DiskReport, Health, Ready } from '../../../shared/contracts/health.ts';
import { type Database, pendingMigrations, ping } from '../../db/database.ts';
import { responses, zod } from '../../http/route.ts';
import type { DiskMonitor } from './disk-space.ts';

/** Liveness and readiness probes (outside /api/v1, as orchestrators expect), and free disk space. */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { database: Database; disk: DiskMonitor },
): Promise<void> {
  const { database, disk } = opts;
  zod(app).get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The process is alive; free space under the data directory (measured every few seconds)',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const, disk: await disk.status() }),
  );
  zod(app).get(
    '/api/v1/system/disk',
    {
      config: { permission: 'settings.edit', resource: 'settings' },
      schema: {
        tags: ['health'],
        summary: 'Free space under the data directory and the threshold below which admins are warned',
        response: responses({ 200: DiskReport }),
      },
    },
    async () => ({
      disk: await disk.status(),
      path: disk.dir,
      thresholds: { freeBytes: disk.thresholds.freeBytes, freePercent: disk.thresholds.freePercent },
    }),
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
