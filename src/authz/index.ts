/** The permission engine: pure TypeScript, no I/O, no framework. */

export type { EngineOptions } from './engine.ts';
export { Authz, RoleGraphError } from './engine.ts';
export type * from './types.ts';
