import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { type Database, migrateToLatest, openDatabase } from './db/database.ts';
import { markRoutesPublic, registerRouteGuard } from './http/guard.ts';
import { openApiOptions } from './http/openapi.ts';
import { frameworkError, registerProblemHandler } from './http/problem.ts';
import { registerWeb } from './http/web.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { AuditService } from './modules/audit/audit.service.ts';
import { CheckpointSigner } from './modules/audit/checkpoint-signer.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { AuthService } from './modules/auth/auth.service.ts';
import { PasswordHasher } from './modules/auth/password.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { CatalogService } from './modules/inventory/catalog.service.ts';
import { CountsService } from './modules/inventory/counts.service.ts';
import { inventoryRoutes } from './modules/inventory/inventory.routes.ts';
import { ItemsService } from './modules/inventory/items.service.ts';
import { permissionsRoutes } from './modules/permissions/permissions.routes.ts';
import { PermissionsService } from './modules/permissions/permissions.service.ts';
import { purchaseOrdersRoutes } from './modules/purchase-orders/purchase-orders.routes.ts';
import { PurchaseOrdersService } from './modules/purchase-orders/purchase-orders.service.ts';
import { RolesService } from './modules/roles/roles.service.ts';
import { securityRoutes } from './modules/security/security.routes.ts';
import { SecurityService } from './modules/security/security.service.ts';
import { setupRoutes } from './modules/setup/setup.routes.ts';
import { SetupService } from './modules/setup/setup.service.ts';
import { usersRoutes } from './modules/users/users.routes.ts';
import { UsersService } from './modules/users/users.service.ts';

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
  /** Extra routes registered before the app is sealed (tests of the guard itself). */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
};

/** The services one app instance uses; exposed for tests and the CLI. */
export type Services = {
  database: Database;
  roles: RolesService;
  audit: AuditService;
  auth: AuthService;
  setup: SetupService;
  users: UsersService;
  permissions: PermissionsService;
  security: SecurityService;
  items: ItemsService;
  catalog: CatalogService;
  counts: CountsService;
  orders: PurchaseOrdersService;
};

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Builds the Fastify app: plugins, guards, routes, web. Never listens; main.ts does. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const database = options.database ?? openDatabase(config.database);
  if (options.migrate !== false) await migrateToLatest(database.db);

  const app = Fastify({
    logger: {
      level: config.logLevel,
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
    frameworkErrors: frameworkError,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only: a text/plain body is a 415, not a string handed to a schema.
  app.removeContentTypeParser('text/plain');
  // API answers carry personal data (profiles, users, the audit log): no browser or proxy keeps
  // a copy. Only the public API description may be cached.
  app.addHook('onSend', async (request, reply, payload) => {
    if (isPrivateApiUrl(request.url)) reply.header('cache-control', 'no-store');
    return payload;
  });

  const now = config.now;
  const hasher = new PasswordHasher(config.bcryptCost);
  const roles = new RolesService(database, now);
  const audit = new AuditService({
    database,
    now,
    signer: new CheckpointSigner(config.audit.keyFile, config.audit.checkpointFile),
  });
  const auth = new AuthService({ database, roles, audit, hasher, now });
  const setup = new SetupService({ database, audit, hasher, now });
  const users = new UsersService({ database, roles, audit, hasher, now });
  const permissions = new PermissionsService({ database, roles, audit, now });
  const security = new SecurityService({ database, roles, audit, hasher, now });
  const items = new ItemsService({ database, audit, now });
  const catalog = new CatalogService({ database, audit, now });
  const counts = new CountsService({ database, audit, items, now });
  const orders = new PurchaseOrdersService({ database, audit, items, dataDir: config.dataDir, now });
  app.decorate('services', {
    database,
    roles,
    audit,
    auth,
    setup,
    users,
    permissions,
    security,
    items,
    catalog,
    counts,
    orders,
  });
  // Signed checkpoints of the audit chain, every few minutes when something was written.
  if (config.audit.checkpointMinutes > 0) {
    let lastSeq = 0;
    const timer = setInterval(() => {
      audit
        .checkpointIfChanged(lastSeq)
        .then((seq) => {
          lastSeq = seq;
        })
        .catch((err: unknown) => app.log.error({ err }, 'audit checkpoint failed'));
    }, config.audit.checkpointMinutes * 60_000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onClose', async () => database.close());

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
  });
  await app.register(fastifyCookie);
  // Uploads (imports, invoices): one file per request; each route sets its own size limit.
  await app.register(fastifyMultipart, { limits: { files: 1, fields: 10, fileSize: 20 * 1024 * 1024 } });

  registerRouteGuard(app, {
    authenticate: (request) => auth.authenticate(request),
    access: async (actor, permission) => (await roles.engineAt(actor.rolesVersion)).access(actor.subject, permission),
  });
  registerProblemHandler(app, await registerWeb(app, config.webDist));

  await app.register(
    fastifySwagger,
    openApiOptions({
      title: 'Steward API',
      version: '1',
      description:
        'Every operation lists the permission it needs as `x-permission` (or `public` / `authenticated`). ' +
        'Errors are RFC 9457 problem+json. Cookie-authenticated mutations need the `x-csrf-token` header.',
    }),
  );
  await app.register(async (scope) => {
    markRoutesPublic(scope);
    await scope.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
    scope.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  await app.register(healthRoutes, { database });
  await app.register(
    async (api) => {
      await api.register(setupRoutes, { setup });
      await api.register(authRoutes, { auth });
      await api.register(usersRoutes, { users, auth });
      await api.register(permissionsRoutes, { permissions });
      await api.register(securityRoutes, { security });
      await api.register(auditRoutes, { audit });
      await api.register(inventoryRoutes, { items, catalog, counts });
      await api.register(purchaseOrdersRoutes, { orders });
      await options.extraRoutes?.(api);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
