/**
 * A module declares itself once (house style, "A module declares itself"): its key, the
 * resources it owns and how each is owned, its services, its routes, its settings, the audit
 * actions it writes and its web part. The server, the CLI (through compose.ts), OpenAPI, the
 * route × principal matrix, the audit-completeness test and the web navigation all iterate the
 * one list in modules/index.ts; adding a module is its folder plus one line there.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { WebModule } from '../../shared/modules.ts';
import type { Policy, RoleTemplate } from '../../shared/permissions/templates.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import type { AuditService } from './audit/audit.service.ts';
import type { PasswordHasher } from './auth/password.ts';
import type { RolesService } from './roles/roles.service.ts';

/** How a resource is owned: the column holding the owner's id (a user or artist id), or null. */
export type ResourceDef = { readonly table: keyof DB; readonly owner: string | null };

/**
 * What every module's services are built from: the database, the clock, the configuration, and
 * the two services every change goes through (the audit log and the roles that decide access).
 */
export type Core = {
  readonly config: Config;
  readonly database: Database;
  readonly now: () => number;
  readonly hasher: PasswordHasher;
  readonly audit: AuditService;
  readonly roles: RolesService;
};

/** The core services every app exposes next to the modules' own. */
export type CoreServices = { database: Database; audit: AuditService; roles: RolesService };

/** A setting the module keeps: its schema and the value used until someone saves one. */
export type SettingDef<T = unknown> = { readonly schema: z.ZodType<T>; readonly default: T };

// biome-ignore lint/suspicious/noExplicitAny: the list of modules holds modules of any services.
export type AnyModule = Module<string, Record<string, ResourceDef>, any>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The services of the modules listed (all of them merged into one object). */
export type ServicesOf<M extends AnyModule> = UnionToIntersection<
  M extends { readonly services: (core: Core, deps: never) => infer S } ? S : never
>;

type DepsOf<U extends readonly AnyModule[]> = [U[number]] extends [never] ? unknown : ServicesOf<U[number]>;

export type Module<K extends string, R extends Record<string, ResourceDef>, S extends object> = {
  readonly key: K;
  /** OpenAPI tag description; also how the module is named in start-up errors. */
  readonly label: string;
  /** URL prefix of the module's routes (default `/api/v1`). */
  readonly prefix: string;
  readonly resources: R;
  /** Modules whose services this one's services use (built first). */
  readonly uses: readonly AnyModule[];
  readonly services: (core: Core, deps: never) => S;
  readonly routes: ((app: FastifyInstance, services: never) => PromiseLike<unknown>) | null;
  readonly settings: Readonly<Record<string, SettingDef>>;
  /** Every audit action the module writes. */
  readonly audit: readonly string[];
  readonly web: WebModule;
};

/**
 * Declares a module. `services` receives the core and the services of the modules in `uses`;
 * `routes` registers the module's route plugins with everything the module can see.
 */
export function defineModule<
  const K extends string,
  const R extends Record<string, ResourceDef> = Record<never, ResourceDef>,
  S extends object = Record<never, never>,
  const U extends readonly AnyModule[] = [],
>(def: {
  key: K;
  label: string;
  prefix?: string;
  resources?: R;
  uses?: U;
  services?: (core: Core, deps: DepsOf<U>) => S;
  routes?: (app: FastifyInstance, services: S & DepsOf<U> & CoreServices) => PromiseLike<unknown>;
  settings?: Readonly<Record<string, SettingDef>>;
  audit?: readonly string[];
  web?: WebModule;
}): Module<K, R, S> {
  return {
    key: def.key,
    label: def.label,
    prefix: def.prefix ?? '/api/v1',
    resources: def.resources ?? ({} as R),
    uses: def.uses ?? [],
    services: (def.services ?? (() => ({}) as S)) as Module<K, R, S>['services'],
    routes: (def.routes ?? null) as Module<K, R, S>['routes'],
    settings: def.settings ?? {},
    audit: def.audit ?? [],
    web: def.web ?? {},
  };
}

/** Every resource of the modules, by name; a name declared twice is a start-up error. */
export function resourcesOf(modules: readonly AnyModule[]): Record<string, ResourceDef> {
  const out: Record<string, ResourceDef> = {};
  const by: Record<string, string> = {};
  for (const m of modules) {
    for (const [name, def] of Object.entries(m.resources)) {
      if (by[name] !== undefined) {
        throw new ModuleError(`Modules "${by[name]}" and "${m.key}" both declare the resource "${name}".`);
      }
      by[name] = m.key;
      out[name] = def;
    }
  }
  return out;
}

/**
 * Start-up check: a route whose permission a built-in role gives as `own` must act on a resource
 * with an owner column, or the server does not start (naming the route, permission and resource).
 * `routes` as the guard lists them (`guard` is the permission, or `public` / `authenticated`).
 */
export function refuseOwnOnOwnerless(
  routes: readonly { method: string; url: string; guard: string; resource: string | null }[],
  resources: Readonly<Record<string, ResourceDef>>,
  templates: readonly RoleSource[],
): void {
  const problems = ownOnOwnerlessProblems(
    routes.map((r) => ({
      method: r.method,
      url: r.url,
      permission: r.guard === 'public' || r.guard === 'authenticated' ? null : r.guard,
      resource: r.resource,
    })),
    resources,
    templates,
  );
  if (problems.length > 0) {
    throw new ModuleError(`Refusing to start: own access on a resource without an owner.\n  ${problems.join('\n  ')}`);
  }
}

export class ModuleError extends Error {
  override name = 'ModuleError';
}

/** The roles whose entries may give `own` access to a permission, for the start-up check. */
export type RoleSource = { readonly template: string; readonly roles: readonly RoleTemplate[] };

/**
 * Routes whose permission is meant to resolve to `own` — some built-in role template gives it as
 * an `own` entry — while the route's resource has no owner (or the route names none). Such a
 * route would refuse every user the template gives `own`, so the server refuses to start.
 * Per-user `own` grants and `own` entries of custom roles can reach any permission; those stay
 * refused at request time (scope.ts, fail closed) because no declaration can rule them out.
 */
export function ownOnOwnerlessProblems(
  routes: readonly { method: string; url: string; permission: string | null; resource: string | null }[],
  resources: Readonly<Record<string, ResourceDef>>,
  templates: readonly RoleSource[],
): string[] {
  const ownIn = (permission: string) =>
    templates.flatMap((t) =>
      t.roles
        .filter((r) => (r.entries as Readonly<Record<string, Policy>>)[permission] === 'own')
        .map((r) => `${t.template}/${r.key}`),
    );
  const problems: string[] = [];
  for (const r of routes) {
    // Stryker disable next-line ConditionalExpression: equivalent — no role has an entry for a null permission, so such a route passes either way.
    if (r.permission === null) continue;
    // Stryker disable next-line ConditionalExpression: equivalent — no resource is named "null", so its owner is null either way.
    const owner = r.resource === null ? null : (resources[r.resource]?.owner ?? null);
    if (owner !== null) continue;
    const roles = ownIn(r.permission);
    if (roles.length === 0) continue;
    const what = r.resource === null ? 'names no resource' : `acts on "${r.resource}", which has no owner`;
    problems.push(
      `${r.method} ${r.url}: permission "${r.permission}" is given as own records only (${roles.join(', ')}), but the route ${what}`,
    );
  }
  return problems;
}
