import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { destination } from 'pino';
import { WEB_MODULES } from '../shared/modules.ts';
import { TEMPLATES } from '../shared/permissions/templates.ts';
import { composeCore, composeServices, type Services } from './compose.ts';
import type { Config } from './config.ts';
import { newMoment } from './db/change-version.ts';
import { type Database, migrateToLatest, openDatabase } from './db/database.ts';
import { markRoutesPublic, registerRouteGuard } from './http/guard.ts';
import { openApiOptions } from './http/openapi.ts';
import { frameworkError, registerProblemHandler } from './http/problem.ts';
import { anonCtxOf } from './http/route.ts';
import { registerResources, resources } from './http/scope.ts';
import { securityHeaders } from './http/security-headers.ts';
import { compiledSerializerCompiler } from './http/serializer.ts';
import { registerWeb } from './http/web.ts';
import { contextFor } from './modules/context.ts';
import { MODULES } from './modules/index.ts';
import { type AnyModule, ModuleError, refuseOwnOnOwnerless } from './modules/module.ts';

export type { Services };

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Every `/api/` answer except the OpenAPI document and its browser (`/api/docs`). */
export function isPrivateApiUrl(url: string): boolean {
  if (!url.startsWith('/api/')) return false;
  return !(url === '/api/openapi.json' || url.startsWith('/api/openapi.json?') || /^\/api\/docs(\/|\?|$)/.test(url));
}

export type BuildOptions = {
  /** Use this database instead of opening the configured one (tests); it is closed with the app. */
  database?: Database;
  /** Apply pending migrations while building (default true). */
  migrate?: boolean;
  /** Modules beyond the listed ones (tests register a throw-away module this way). */
  extraModules?: readonly AnyModule[];
  /** Extra routes registered before the app is sealed (tests of the guard itself). */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * Also encode every answer with Zod and refuse one the compiled serializer writes differently
   * (tests: every answer of the suite checks the compiled serializers against the contracts).
   */
  verifyResponses?: boolean;
  /** Where the log goes instead of stdout (tests read it). */
  logStream?: NodeJS.WritableStream;
};

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    /** The modules this app was built from, in order. */
    modules: readonly AnyModule[];
  }
}

/** Builds the Fastify app: plugins, guards, routes, web. Never listens; main.ts does. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const database = options.database ?? openDatabase(config.database);
  if (options.migrate !== false) await migrateToLatest(database.db);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Written to stdout without blocking: a line goes out at once when nothing else is being
      // written, and lines logged meanwhile go together in the next write (one system call for
      // many under load, instead of one each); what is pending is flushed when the process exits.
      stream: options.logStream ?? destination({ dest: 1, sync: false }),
      redact: [
        'req.headers.cookie',
        'req.headers.authorization',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
      ],
    },
    // Fastify accepts a hop count at run time (proxy-addr); its types list only the other forms.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    // One line per answer (below) instead of Fastify's two, and nothing at all when info is off.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: frameworkError,
    return503OnClosing: true,
  });
  if (['info', 'debug', 'trace'].includes(config.logLevel)) {
    app.addHook('onResponse', (request, reply, done) => {
      // Probes that find the server well (every few seconds from an orchestrator) are not news.
      const probe = request.url === '/healthz' || request.url === '/readyz';
      if (!(probe && reply.statusCode < 400)) {
        request.log.info(
          { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
          'answered',
        );
      }
      done();
    });
  }
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(compiledSerializerCompiler({ verify: options.verifyResponses === true }));
  // The API speaks JSON only: a text/plain body is a 415, not a string handed to a schema.
  app.removeContentTypeParser('text/plain');
  // One hook at the start of every request (hooks cost on every answer, /healthz's included):
  // - a new moment: reads kept on SQLite are checked against a data version read after the
  //   request arrived (src/server/db/change-version.ts);
  // - the security headers, computed once (a route may still set its own: the API docs' CSP);
  // - API answers carry personal data (profiles, users, the audit log): no browser or proxy
  //   keeps a copy. Only the public API description may be cached.
  const security = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    newMoment();
    reply.headers(security);
    if (isPrivateApiUrl(request.url)) reply.header('cache-control', 'no-store');
    done();
  });

  const modules: readonly AnyModule[] = [...MODULES, ...(options.extraModules ?? [])];
  const missingWeb = MODULES.filter((m) => !Object.hasOwn(WEB_MODULES, m.key)).map((m) => m.key);
  if (missingWeb.length > 0) {
    throw new ModuleError(`Modules without a web entry in src/shared/modules.ts: ${missingWeb.join(', ')}.`);
  }
  registerResources(modules);
  const core = composeCore(config, database);
  const services = composeServices(core, modules);
  const { audit, roles } = core;
  const auth = services.auth;
  app.decorate('services', services);
  app.decorate('modules', modules);
  // Signed checkpoints of the audit chain, every few minutes when something was written.
  if (config.audit.checkpointMinutes > 0) {
    let lastSeq = 0;
    const timer = setInterval(() => {
      audit
        .checkpointIfChanged(contextFor(database.db, null), lastSeq)
        .then((seq) => {
          lastSeq = seq;
        })
        .catch((err: unknown) => app.log.error({ err }, 'audit checkpoint failed'));
    }, config.audit.checkpointMinutes * 60_000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onClose', async () => database.close());

  // The session cookie is parsed where it is read (AuthService.authenticate, with the `cookie`
  // package: no plugin, no hook on every answer) and set by the two routes that set it.

  registerRouteGuard(app, {
    authenticate: (request) => auth.authenticate(anonCtxOf(request), request),
    access: async (actor, permission) =>
      (await roles.engineAt(actor.rolesVersion, database.db)).access(actor.subject, permission),
  });
  registerProblemHandler(app, await registerWeb(app, config.webDist));

  await app.register(
    fastifySwagger,
    openApiOptions(
      {
        title: 'Steward API',
        version: '1',
        description:
          'Every operation lists the permission it needs as `x-permission` (or `public` / `authenticated`). ' +
          'Errors are RFC 9457 problem+json. Cookie-authenticated mutations need the `x-csrf-token` header.',
      },
      modules.filter((m) => m.routes !== null).map((m) => ({ name: m.key, description: m.label })),
    ),
  );
  await app.register(async (scope) => {
    markRoutesPublic(scope);
    await scope.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
    scope.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  for (const m of modules) {
    const routes = m.routes;
    if (routes === null) continue;
    await app.register(
      async (scope) => {
        // Each route knows its module: OpenAPI tags it, the matrix and the audit test group by it.
        scope.addHook('onRoute', (route) => {
          route.config = { ...(route.config ?? {}), module: m.key };
        });
        await routes(scope, services as never);
      },
      { prefix: m.prefix },
    );
  }
  if (options.extraRoutes) await app.register(async (api) => options.extraRoutes?.(api), { prefix: '/api/v1' });
  app.addHook('onReady', async () =>
    refuseOwnOnOwnerless(
      app.routeGuards(),
      resources(),
      Object.values(TEMPLATES).map((t) => ({ template: t.key, roles: t.roles })),
    ),
  );
  return app;
}
