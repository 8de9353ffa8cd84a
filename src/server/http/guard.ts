import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Access } from '../../authz/index.ts';
import { API_KEY_LIKE } from '../../shared/api-keys.ts';
import { moduleOffFor } from '../../shared/business-modules.ts';
import { isPermission, type Permission } from '../../shared/permissions/catalog.ts';
import type { Actor } from './actor.ts';
import {
  ElevationRequiredError,
  ForbiddenError,
  HttpError,
  MissingPermissionError,
  ModuleOffError,
  UnauthorizedError,
} from './errors.ts';
import { isResourceName, type ResourceName, resources, scopeFor } from './scope.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The catalog permission this route needs. */
    permission?: Permission;
    /**
     * The resource the route acts on (declared in its module's resources). It decides what `own`
     * access means here: the owner filter of an owned resource, or a refusal (fail closed).
     */
    resource?: string;
    /** Anyone, signed in or not. */
    public?: boolean;
    /** The module that registered the route (set by app.ts; OpenAPI tags routes with it). */
    module?: string;
    /** Any signed-in user; no particular permission (e.g. /me, logout). */
    authenticated?: boolean;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    /** Every route with its declared guard (for the route × principal matrix). */
    routeGuards(): RouteGuard[];
    /** The actor's access to a further permission (for a body field that needs more than the route's). */
    permissionAccess(actor: Actor, permission: Permission): Promise<Access>;
  }
}

export type RouteGuard = {
  method: string;
  url: string;
  guard: string;
  resource: string | null;
  /** The module that registered the route; null for the framework's own (API docs). */
  module: string | null;
};

export class UnguardedRouteError extends Error {
  override name = 'UnguardedRouteError';
}

/** Resolves the request's principal from its session cookie (or, later, API key). */
export type Authenticator = {
  authenticate(request: FastifyRequest): Promise<Omit<Actor, 'routeAccess'> | null>;
  access(actor: Omit<Actor, 'routeAccess'>, permission: Permission): Promise<Access>;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Credentials in an address end up in logs, proxies and browser history: refused outright. */
const CREDENTIAL_PARAMETER = /[?&](api_?key|access_token)=/i;

/** Why a route's declaration is wrong, or null when it is fine. */
export function routeDeclarationProblem(config: RouteOptions['config'] | undefined): string | null {
  const c = (config ?? {}) as { permission?: unknown; public?: unknown; authenticated?: unknown; resource?: unknown };
  const declared = [c.permission !== undefined, c.public === true, c.authenticated === true].filter(Boolean).length;
  if (declared === 0) return 'declares neither config.permission, config.authenticated nor config.public';
  if (declared > 1) return 'declares more than one of config.permission, config.authenticated and config.public';
  // Stryker disable next-line ConditionalExpression: equivalent — the catalog has no key that is not a string, so isPermission refuses a non-string too.
  if (c.permission !== undefined && (typeof c.permission !== 'string' || !isPermission(c.permission))) {
    return `names "${String(c.permission)}", which is not in the permission catalog`;
  }
  if (c.resource !== undefined) {
    if (c.permission === undefined) return `declares resource "${String(c.resource)}" without a permission to scope`;
    if (!isResourceName(c.resource)) {
      return `declares resource "${String(c.resource)}", which is not in the resource registry (${Object.keys(resources()).join(', ')})`;
    }
  }
  return null;
}

/**
 * Every route must declare how it is guarded. Routes are collected as they are added and
 * checked when the app becomes ready, so plugins may mark their own routes public first;
 * a route without a declaration stops the app from starting.
 */
export function registerRouteGuard(app: FastifyInstance, auth: Authenticator): void {
  const routes: RouteOptions[] = [];
  app.decorateRequest('actor', null);
  app.decorateRequest('scope', null);
  app.decorate('routeGuards', () =>
    routes.flatMap((r) =>
      [r.method].flat().map((method) => {
        const c = (r.config ?? {}) as { permission?: string; public?: boolean; resource?: string; module?: string };
        return {
          method,
          url: r.url,
          guard: c.permission ?? (c.public ? 'public' : 'authenticated'),
          resource: c.resource ?? null,
          module: c.module ?? null,
        };
      }),
    ),
  );
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.decorate('permissionAccess', (actor: Actor, permission: Permission) => auth.access(actor, permission));
  app.addHook('onReady', async () => {
    const bad = routes
      .map((r) => ({ r, problem: routeDeclarationProblem(r.config) }))
      .filter((x) => x.problem !== null)
      .map(({ r, problem }) => `${[r.method].flat().join(',')} ${r.url} ${problem}`);
    if (bad.length > 0) {
      throw new UnguardedRouteError(`Refusing to start: every route must declare its guard.\n  ${bad.join('\n  ')}`);
    }
  });

  // A callback hook, so a public request without credentials (/healthz, the web app's files)
  // costs no promise: only a request that authenticates waits on the database.
  app.addHook('onRequest', (request, _reply, done) => {
    let waiting: Promise<void> | null;
    try {
      waiting = checkAddress(request);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (waiting === null) done();
    else waiting.then(() => done(), done);
  });

  /** The checks made before any read: null when the request needs no more, else the rest. */
  function checkAddress(request: FastifyRequest): Promise<void> | null {
    // Unmatched URLs reach the not-found handler (problem 404, or the web app's shell).
    if (request.is404) return null;
    const query = request.url.indexOf('?');
    if (
      // Stryker disable next-line ConditionalExpression: equivalent — without a "?", slice(-1) is the last character, which no credential pattern matches.
      query !== -1 &&
      (CREDENTIAL_PARAMETER.test(request.url.slice(query)) || API_KEY_LIKE.test(request.url.slice(query)))
    ) {
      throw new HttpError(
        400,
        'credentials-in-url',
        'Credentials in the address',
        'API keys are accepted only in the Authorization header ("Bearer …"), never in the address.',
      );
    }
    const config = request.routeOptions.config;
    if (config.public === true && request.headers.cookie === undefined && request.headers.authorization === undefined) {
      return null;
    }
    return authorize(request);
  }

  async function authorize(request: FastifyRequest): Promise<void> {
    const config = request.routeOptions.config;
    const actor = await auth.authenticate(request);
    if (actor?.session && !SAFE_METHODS.has(request.method)) {
      // Cookie-authenticated mutations must prove they come from our own pages.
      const header = request.headers['x-csrf-token'];
      // Stryker disable next-line StringLiteral: equivalent — a session's token is 32 random bytes, never empty, so a missing header never equals it whatever it stands for.
      const given = Buffer.from(typeof header === 'string' ? header : '');
      const expected = Buffer.from(actor.session.csrfToken);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        if (config.public === true) return; // e.g. logging in again over a stale cookie: treat as anonymous
        throw new ForbiddenError('The request is missing its CSRF token; reload the page and try again.');
      }
    }
    if (config.public === true) {
      request.actor = actor ? { ...actor, routeAccess: null } : null;
      return;
    }
    if (!actor) throw new UnauthorizedError();
    if (config.authenticated === true) {
      request.actor = { ...actor, routeAccess: null };
      return;
    }
    const permission = config.permission as Permission;
    if (actor.user.mustChangePassword) {
      throw new HttpError(
        403,
        'password-change-required',
        'Password change required',
        'You are signed in with a temporary password. Choose your own password to continue.',
      );
    }
    refuseSwitchedOff(actor, permission);
    const access = await auth.access(actor, permission);
    refuseWithout(access, permission);
    // `own` on a resource without an owner (or a route naming none) is refused here: fail closed.
    request.scope = scopeFor(permission, config.resource as ResourceName | undefined, access, actor.subject.ownerIds);
    request.actor = { ...actor, routeAccess: access };
  }
}

/** Marks every route added in this plugin scope as public (static files, API docs). */
export function markRoutesPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
}

/**
 * Requires one more permission than the route declares, for what this request asks (e.g. a bulk
 * edit that archives needs what the single-item archive route needs). Same refusals as the guard,
 * `own` on a resource without an owner included.
 */
export async function requirePermission(request: FastifyRequest, permission: Permission): Promise<void> {
  const actor = actorOf(request);
  refuseSwitchedOff(actor, permission);
  const access = await request.server.permissionAccess(actor, permission);
  refuseWithout(access, permission);
  // `own` of the extra permission on the route's resource: refused where that resource has no owner.
  scopeFor(
    permission,
    request.routeOptions.config.resource as ResourceName | undefined,
    access,
    actor.subject.ownerIds,
  );
}

/**
 * Refuses a permission of a business module that is switched off (Settings → Modules), whoever
 * asks: the module's routes answer 403 `module-off` until an admin switches it back on. This is
 * the one place routes are gated by module; the module list and what each holds are in
 * src/shared/permissions/templates.ts.
 */
function refuseSwitchedOff(actor: Pick<Actor, 'modules'>, permission: Permission): void {
  const off = moduleOffFor(permission, actor.modules);
  if (off) throw new ModuleOffError(off);
}

/** Refuses unless `access` lets the actor act: the master code first, or the permission itself. */
function refuseWithout(access: Access, permission: Permission): asserts access is 'all' | 'own' {
  if (access === 'elevation-required') throw new ElevationRequiredError(permission);
  if (access === 'none') throw new MissingPermissionError(permission);
}

/** The signed-in actor of a guarded route (the guard guarantees one exists). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthorizedError();
  return request.actor;
}
