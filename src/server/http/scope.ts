/**
 * Own scope, fail closed (reliability #26). Every guarded route names the resource it acts on;
 * the registry below says how that resource is owned. The guard turns the actor's access into a
 * `Scope` value for that resource, and repositories of owned resources take the scope as a
 * required argument, so a path that forgets the owner filter does not compile.
 *
 * The registry is plain data keyed by resource name (`{ table, owner }`) so it can move into
 * module definitions (`defineModule({ resources: { … } })`) later without changing its shape.
 */
import type { FastifyRequest } from 'fastify';
import type { Access } from '../../authz/index.ts';
import type { DB } from '../db/schema.ts';
import { ForbiddenError, HttpError } from './errors.ts';

/** How a resource is owned: the column holding the owner's id (a user or artist id), or null. */
export type ResourceDef = { readonly table: keyof DB; readonly owner: string | null };

export const RESOURCES = {
  /** A user owns their own account. */
  user: { table: 'users', owner: 'id' },
  /** An audit event belongs to the user who acted. */
  audit_event: { table: 'audit_events', owner: 'actor_user_id' },
  /** The chain as a whole (verification, checkpoints): nobody owns all of it. */
  audit_chain: { table: 'audit_events', owner: null },
  /** An API key belongs to the user who made it. */
  api_key: { table: 'api_keys', owner: 'user_id' },
  role: { table: 'roles', owner: null },
  permission_request: { table: 'permission_requests', owner: null },
  settings: { table: 'settings', owner: null },
  master_code: { table: 'master_codes', owner: null },
  item: { table: 'items', owner: null },
  category: { table: 'categories', owner: null },
  supplier: { table: 'suppliers', owner: null },
  stock_count: { table: 'stock_counts', owner: null },
  purchase_order: { table: 'purchase_orders', owner: null },
} as const satisfies Record<string, ResourceDef>;

export type ResourceName = keyof typeof RESOURCES;

/** Resources that have an owner column: the only ones an `own` scope can apply to. */
export type OwnedResource = {
  [K in ResourceName]: (typeof RESOURCES)[K]['owner'] extends string ? K : never;
}[ResourceName];

export function isResourceName(name: unknown): name is ResourceName {
  return typeof name === 'string' && Object.hasOwn(RESOURCES, name);
}

declare const SCOPE_BRAND: unique symbol;

/**
 * What the actor may reach of one resource on this request: every record, or only those whose
 * owner column holds one of `ownerIds`. Only this module makes scopes (the brand), so a handler
 * cannot hand a repository `{ kind: 'all' }` of its own making.
 */
export type Scope<R extends ResourceName = ResourceName> = (
  | { readonly kind: 'all' }
  | { readonly kind: 'own'; readonly ownerIds: readonly string[] }
) & { readonly resource: R; readonly [SCOPE_BRAND]: true };

/** Refusal of `own` access on a route whose resource has no owner (or declares none). */
export class OwnOnlyError extends HttpError {
  constructor(permission: string, resource: string | null) {
    super(
      403,
      'own-only',
      'Only your own records',
      resource === null
        ? `Your "${permission}" access covers only your own records, and this action names no resource that has an owner.`
        : `Your "${permission}" access covers only your own records; ${resource.replaceAll('_', ' ')} records have no owner.`,
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
  if (resource === undefined || RESOURCES[resource].owner === null) {
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
  return ownerId !== null && ownerId !== undefined && scope.ownerIds.includes(ownerId);
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
