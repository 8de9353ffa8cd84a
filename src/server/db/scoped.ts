/**
 * Applying a `Scope` in SQL: the owner filter of an owned resource, and immich-style
 * `requireAccess` for bulk operations (the allowed subset of the ids asked for).
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { type AnyScope, resourceDef } from '../http/scope.ts';
import type { DB } from './schema.ts';

type Filterable<Q> = { where(expression: Expression<SqlBool>): Q };

/**
 * Adds `where <owner column> in (ownerIds)` for an `own` scope; leaves an `all` scope alone.
 * `table` is the name or alias the resource's table has in the query (defaults to the table).
 */
export function whereInScope<Q extends Filterable<Q>>(qb: Q, scope: AnyScope, table?: string): Q {
  if (scope.kind === 'all') return qb;
  const def = resourceDef(scope.resource);
  // The guard never makes an `own` scope of an ownerless resource; refuse rather than widen.
  if (def.owner === null) return qb.where(sql<SqlBool>`1 = 0`);
  if (scope.ownerIds.length === 0) return qb.where(sql<SqlBool>`1 = 0`);
  const column = sql.ref(`${table ?? def.table}.${def.owner}`);
  return qb.where(sql<SqlBool>`${column} in (${sql.join(scope.ownerIds)})`);
}

/**
 * The subset of `ids` (primary keys of the scope's resource) that exist and are within the
 * scope. A bulk operation acts on this subset or refuses the ids outside it with a 404.
 */
export async function requireAccess(db: Kysely<DB>, scope: AnyScope, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const def = resourceDef(scope.resource);
  const id = sql.ref(`${def.table}.id`);
  const rows = await whereInScope(
    db
      .selectFrom(def.table)
      .select(sql<string>`${id}`.as('id'))
      .where(sql<SqlBool>`${id} in (${sql.join([...ids])})`),
    scope,
  ).execute();
  return new Set(rows.map((r) => r.id));
}
