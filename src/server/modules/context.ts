/**
 * One unit of work (house style, "Services take a context"). A service method receives a
 * `Context`: who acts, the request facts the audit log records, and the database handle its reads
 * and writes go through. Outside a transaction that handle is the database; inside one it is the
 * transaction, so a read a service makes on behalf of a write reads inside the write's
 * transaction, and nothing can fall back to a default handle (no `db = …` parameters).
 *
 * Code that must run inside a transaction takes a `TxContext` (or Kysely's `Transaction<DB>`):
 * calling it with a plain `Context` is a type error, because `Kysely<DB>` is not a `Transaction<DB>`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Actor, RequestContext } from '../http/actor.ts';

/** A handle reads go through: the database or an open transaction. Only repositories build queries on it. */
export type Db = Kysely<DB>;
/** An open transaction: what code that must run inside one takes. */
export type Trx = Transaction<DB>;

export type Context<A extends Actor | null = Actor> = {
  /** Who acts; null for anonymous work (signing in, first setup) and the CLI's own commands. */
  readonly actor: A;
  /** The request's id, address and user agent, as the audit log records them; null outside a request. */
  readonly request: RequestContext | null;
  /** The database, or the open transaction when this context is inside one. */
  readonly db: Kysely<DB>;
};

/** A context inside an open transaction. */
export type TxContext<A extends Actor | null = Actor> = Context<A> & { readonly db: Transaction<DB> };

/** A context with no actor or with one: for work anyone (or no one) may start. */
export type AnyContext = Context<Actor | null>;

/** A context for work done on `db` by `actor` on behalf of `request`. */
export function contextFor<A extends Actor | null>(db: Kysely<DB>, actor: A, request: RequestContext | null = null) {
  return { actor, request, db } satisfies Context<A> as Context<A>;
}

/**
 * Runs `fn` in one transaction: everything it writes, audit events included, commits or none does.
 * Inside a transaction already, `fn` joins it (one unit of work, never a second connection that
 * would wait on the first on SQLite or read around it on PostgreSQL).
 */
export function inTransaction<A extends Actor | null, T>(
  ctx: Context<A>,
  fn: (tx: TxContext<A>) => Promise<T>,
): Promise<T> {
  if (ctx.db.isTransaction) return fn(ctx as TxContext<A>);
  return ctx.db.transaction().execute((trx) => fn({ ...ctx, db: trx }));
}

/** The same work, done by someone else (e.g. the system acting for a request with no session). */
export function asActor<A extends Actor | null>(ctx: Context<Actor | null>, actor: A): Context<A> {
  return { ...ctx, actor };
}
