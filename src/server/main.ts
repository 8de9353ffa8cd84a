import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { acquireServerLock } from './db/server-lock.ts';

/** Builds the app, listens, and closes gracefully on SIGTERM / SIGINT (in-flight requests finish). */
export async function startServer(config: Config): Promise<FastifyInstance> {
  // SQLite: one server per data directory (several instances need PostgreSQL).
  const releaseLock = config.database.kind === 'sqlite' ? acquireServerLock(config.dataDir, config.port) : null;
  let app: FastifyInstance;
  try {
    app = await buildApp(config);
  } catch (err) {
    releaseLock?.();
    throw err;
  }
  if (releaseLock) app.addHook('onClose', async () => releaseLock());
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    // Requests in flight finish; a keep-alive connection that goes idle after its answer would
    // otherwise hold the close for its keep-alive timeout (72 s). Close idle ones as they appear.
    const idle = setInterval(() => app.server.closeIdleConnections(), 50);
    idle.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const where = config.database.kind === 'sqlite' ? config.database.file : 'PostgreSQL (DATABASE_URL)';
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  app.log.info(`Steward is running at http://${shown}:${config.port} — data: ${where}`);
  return app;
}
