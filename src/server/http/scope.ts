/**
 * Own scope, fail closed (reliability #26). Every guarded route names the resource it acts on;
 * the registry below says how that resource is owned. The guard turns the actor's access into a
 * `Scope` value for that resource, and repositories of owned resources take the scope as a
 * required argument, so a path that forgets the owner filter does not compile.
 *
 * The registry is the union of the resources the modules declare (`defineModule({ resources })`
 * in src/server/modules/<area>/<area>.module.ts), read lazily so module files may import this one.
 */
import type { FastifyRequest } from 'fastify';
import type { Access } from '../../authz/index.ts';
import { MODULES } from '../modules/index.ts';
import { type AnyModule, type ResourceDef, resourcesOf } from '../modules/module.ts';
import { ForbiddenError, HttpError, permissionLabel } from './errors.ts';

export type { ResourceDef };

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Declared = UnionToIntersection<(typeof MODULES)[number]['resources']>;

/** Every resource a listed module declares. */
export type ResourceName = keyof Declared & string;

/** Resources that have an owner column: the only ones an `own` scope can apply to. */
export type OwnedResource = {
  [K in ResourceName]: Declared[K] extends { owner: string } ? K : never;
}[ResourceName];

let listed: Record<string, ResourceDef> | null = null;
const extra = new Map<string, ResourceDef>();

/** The resource registry: the listed modules' resources, plus those of modules an app added. */
export function resources(): Readonly<Record<string, ResourceDef>> {
  listed ??= resourcesOf(MODULES);
  return extra.size === 0 ? listed : { ...listed, ...Object.fromEntries(extra) };
}

/**
 * Adds the resources of modules outside the list (an app built with extra modules, e.g. a test's
 * throw-away module). A name that another module declares differently is refused.
 */
export function registerResources(modules: readonly AnyModule[]): void {
  const known = resources();
  for (const [name, def] of Object.entries(resourcesOf(modules))) {
    const had = known[name];
    if (had !== undefined && (had.table !== def.table || had.owner !== def.owner)) {
      throw new Error(`The resource "${name}" is declared twice, differently.`);
    }
    // Stryker disable next-line ConditionalExpression: equivalent — setting an identical declaration again changes no entry.
    if (had === undefined) extra.set(name, def);
  }
}

/** How the resource is owned (its table and owner column). */
export function resourceDef(name: string): ResourceDef {
  // Own keys only: a name such as "toString" is not a resource.
  const all = resources();
  const def = Object.hasOwn(all, name) ? all[name] : undefined;
  if (def === undefined) throw new Error(`Unknown resource "${name}": declare it in its module's resources.`);
  return def;
}

export function isResourceName(name: unknown): name is ResourceName {
  return typeof name === 'string' && Object.hasOwn(resources(), name);
}

declare const SCOPE_BRAND: unique symbol;

/**
 * What the actor may reach of one resource on this request: every record, or only those whose
 * owner column holds one of `ownerIds`. Only this module makes scopes (the brand), so a handler
 * cannot hand a repository `{ kind: 'all' }` of its own making.
 */
export type Scope<R extends ResourceName = ResourceName> = AnyScope & { readonly resource: R };

/**
 * A scope of some resource, its name only a string: for code that applies any scope in SQL
 * (db/scoped.ts). Its type does not reach the module list, which `ResourceName` is inferred from
 * and whose services' types lead back to that code.
 */
export type AnyScope = ({ readonly kind: 'all' } | { readonly kind: 'own'; readonly ownerIds: readonly string[] }) & {
  readonly resource: string;
  readonly [SCOPE_BRAND]: true;
};

/** Refusal of `own` access on a route whose resource has no owner (or declares none). */
export class OwnOnlyError extends HttpError {
  constructor(permission: string, resource: string | null) {
    super(
      403,
      'own-only',
      'Only your own records',
      resource === null
        ? `Your “${permissionLabel(permission)}” access covers only your own records, and this action names no resource that has an owner.`
        : `Your “${permissionLabel(permission)}” access covers only your own records; ${resource.replaceAll('_', ' ')} records have no owner.`,
      { extra: { permission, resource } },
    );
  }
}

/**
 * The scope a route's access gives: `all` stays `all`; `own` becomes the owner filter of the
 * route's resource, or is refused when that resource has no owner or the route names none
 * (fail closed). Null for `all` on a route that names no resource (nothing to scope).
 */
export function scopeFor(
  permission: string,
  resource: ResourceName | undefined,
  access: Extract<Access, 'all' | 'own'>,
  ownerIds: readonly string[],
): Scope | null {
  if (access === 'all') return resource === undefined ? null : ({ kind: 'all', resource } as unknown as Scope);
  if (resource === undefined || resourceDef(resource).owner === null) {
    throw new OwnOnlyError(permission, resource ?? null);
  }
  return { kind: 'own', ownerIds: [...ownerIds], resource } as unknown as Scope;
}

/**
 * A scope limited to the actor's own records, for self-service routes that act on "me" (your
 * own sessions) rather than on a permission.
 */
export function selfScope<R extends OwnedResource>(resource: R, ownerIds: readonly string[]): Scope<R> {
  return { kind: 'own', ownerIds: [...ownerIds], resource } as unknown as Scope<R>;
}

/**
 * Every record of the resource: for work the server does on its own behalf (startup, the CLI,
 * re-reading a record the caller just wrote within its scope). Never for a request's reach.
 */
export function systemScope<R extends ResourceName>(resource: R): Scope<R> {
  return { kind: 'all', resource } as unknown as Scope<R>;
}

declare module 'fastify' {
  interface FastifyRequest {
    scope: Scope | null;
  }
}

/**
 * The scope the guard computed for this request's route. Asking for another resource than the
 * route declares is a programming error (the route's declaration and its handler disagree).
 */
export function scopeOf<R extends ResourceName>(request: FastifyRequest, resource: R): Scope<R> {
  const scope = request.scope;
  if (scope === null || scope === undefined) {
    throw new Error(`Route ${request.routeOptions.url} has no scope: declare config.permission and config.resource.`);
  }
  if (scope.resource !== resource) {
    throw new Error(
      `Route ${request.routeOptions.url} declares resource "${scope.resource}" but its handler asks for "${resource}".`,
    );
  }
  return scope as Scope<R>;
}

/** True when the scope reaches a record owned by `ownerId`. */
export function inScope(scope: Scope, ownerId: string | null | undefined): boolean {
  if (scope.kind === 'all') return true;
  // An owner id of null or undefined is never among the scope's ids (strings).
  return scope.ownerIds.includes(ownerId as string);
}

/**
 * For creating a record: its owner must be within the scope (an `own` grant creates only your
 * own records). Refused with 403: the record does not exist yet, so nothing leaks.
 */
export function requireOwner(scope: Scope, ownerId: string | null, what: string): void {
  if (!inScope(scope, ownerId)) {
    throw new ForbiddenError(`Your access covers only your own records; ${what}.`, {
      resource: scope.resource,
    });
  }
}
