/**
 * The composition root: builds the core (audit log, roles, password hasher) and every module's
 * services from one configuration and database. The server (app.ts) and the CLI (cli.ts) both
 * build their services here, so a command and a request use the same objects wired the same way.
 */
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { AuditService } from './modules/audit/audit.service.ts';
import { CheckpointSigner } from './modules/audit/checkpoint-signer.ts';
import { PasswordHasher } from './modules/auth/password.ts';
import { MODULES } from './modules/index.ts';
import { type AnyModule, type Core, type CoreServices, ModuleError, type ServicesOf } from './modules/module.ts';
import { RolesService } from './modules/roles/roles.service.ts';

/** Every service of one app: the core's and each module's, by name. */
export type Services = CoreServices & ServicesOf<(typeof MODULES)[number]>;

/** The core every module's services are built from. */
export function composeCore(config: Config, database: Database): Core {
  const now = config.now;
  return {
    config,
    database,
    now,
    hasher: new PasswordHasher(config.bcryptCost),
    audit: new AuditService({
      database,
      now,
      signer: new CheckpointSigner(config.audit.keyFile, config.audit.checkpointFile),
    }),
    roles: new RolesService(now),
  };
}

/**
 * Builds the services of `modules` (and of the modules they use, first) on the core. A service
 * name two modules both provide is a start-up error.
 */
export function composeServices(core: Core, modules: readonly AnyModule[] = MODULES): Services {
  const services: Record<string, unknown> = { database: core.database, audit: core.audit, roles: core.roles };
  const owner: Record<string, string> = { database: 'core', audit: 'core', roles: 'core' };
  const built = new Set<string>();
  const build = (m: AnyModule, path: readonly string[]) => {
    if (built.has(m.key)) return;
    if (path.includes(m.key))
      throw new ModuleError(`Modules use each other in a cycle: ${[...path, m.key].join(' → ')}.`);
    for (const dep of m.uses) build(dep, [...path, m.key]);
    const made = m.services(core, services as never) as Record<string, unknown>;
    for (const [name, service] of Object.entries(made)) {
      if (owner[name] !== undefined) {
        throw new ModuleError(`Modules "${owner[name]}" and "${m.key}" both provide the service "${name}".`);
      }
      owner[name] = m.key;
      services[name] = service;
    }
    built.add(m.key);
  };
  for (const m of modules) build(m, []);
  return services as Services;
}

/** Core and services in one call (the CLI's entry point). */
export function compose(config: Config, database: Database, modules: readonly AnyModule[] = MODULES): Services {
  return composeServices(composeCore(config, database), modules);
}
