import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import { dataVersionOf } from './change-version.ts';
import type { DB } from './schema.ts';

type Scalar = string | number | null;
type Arg = Scalar | readonly Scalar[];
type Template = {
  sql: string;
  query: CompiledQuery['query'];
  queryId: CompiledQuery['queryId'];
  /** For each parameter: the argument (and element of a list argument) it comes from, or null for a constant. */
  slots: ([number, number] | null)[];
  constants: readonly unknown[];
};

/** Lists longer than this are built each time (their shapes are too many to keep). */
const MAX_CACHED_LIST = 64;

/** A value no caller passes: it marks where argument `i` (element `j` of a list) lands. */
const marker = (i: number, j: number) => `\u0000steward-prepared-${i}-${j}\u0000`;

/**
 * A query built and compiled once per database dialect (and per length of its list arguments),
 * then run again with new arguments.
 *
 * Kysely builds and compiles a query's tree on every call; on a lookup by key that is most of
 * the query's cost (a fifth of the CPU of an authenticated item read was Kysely compiling the
 * same few queries). Here `build` runs once with marker values for its arguments; the compiled
 * SQL is kept and each call only puts the arguments into its parameter list. `build` must give
 * the same SQL whatever the values (no branch on them): a query whose markers do not each come
 * out as exactly one parameter is refused when first built.
 *
 * `untilChanged`: the rows are also kept, per arguments, until anything is committed to the
 * database (by this process or another); reads that need no query while nothing changed. Only
 * where the database can tell (SQLite's data version) and never inside a transaction; for the
 * reads every request makes before its own work (who is asking, the settings, the overrides).
 */
export function prepared<A extends readonly Arg[], O>(
  build: (db: Kysely<DB>, ...args: A) => Compilable<O>,
  options: { untilChanged?: boolean } = {},
): (db: Kysely<DB>, ...args: A) => Promise<O[]> {
  const templates = new WeakMap<object, Map<string, Template>>();
  const answers = options.untilChanged ? new WeakMap<object, Answers<O>>() : null;
  const run = async (db: Kysely<DB>, args: A): Promise<O[]> => {
    if (args.some((a) => Array.isArray(a) && a.length > MAX_CACHED_LIST)) {
      return (await db.executeQuery(build(db, ...args))).rows;
    }
    const adapter = db.getExecutor().adapter;
    let byShape = templates.get(adapter);
    if (!byShape) {
      byShape = new Map();
      templates.set(adapter, byShape);
    }
    const shape = args.map((a) => (Array.isArray(a) ? a.length : '.')).join(',');
    let t = byShape.get(shape);
    if (!t) {
      t = compileTemplate(db, build, args);
      byShape.set(shape, t);
    }
    const parameters = t.slots.map((s, k) => {
      if (s === null) return t.constants[k];
      const a = args[s[0]];
      return Array.isArray(a) ? a[s[1]] : a;
    });
    return (await db.executeQuery<O>({ sql: t.sql, query: t.query, queryId: t.queryId, parameters })).rows;
  };
  if (!answers) return (db, ...args) => run(db, args);
  return async (db, ...args) => {
    // The version is read before the rows: rows newer than it are stored under a version that
    // has already passed, and are never served.
    const version = dataVersionOf(db);
    if (version === null) return run(db, args);
    let kept = answers.get(db);
    if (!kept || kept.version !== version) {
      kept = { version, rows: new Map() };
      answers.set(db, kept);
    }
    const key = JSON.stringify(args);
    const hit = kept.rows.get(key);
    // Copies: a caller may change what it was given.
    if (hit) return hit.map((r) => ({ ...r }));
    const rows = await run(db, args);
    if (kept.rows.size >= MAX_KEPT_ANSWERS) kept.rows.clear();
    kept.rows.set(
      key,
      rows.map((r) => ({ ...r })),
    );
    return rows;
  };
}

/** Answers kept per query while the database has not changed; more distinct arguments start over. */
const MAX_KEPT_ANSWERS = 1000;
type Answers<O> = { version: number; rows: Map<string, O[]> };

function compileTemplate<A extends readonly Arg[], O>(
  db: Kysely<DB>,
  build: (db: Kysely<DB>, ...args: A) => Compilable<O>,
  args: A,
): Template {
  const where = new Map<string, [number, number]>();
  const markers = args.map((a, i) => {
    if (!Array.isArray(a)) {
      where.set(marker(i, 0), [i, 0]);
      return marker(i, 0);
    }
    return a.map((_, j) => {
      where.set(marker(i, j), [i, j]);
      return marker(i, j);
    });
  }) as unknown as A;
  const compiled = build(db, ...markers).compile();
  const slots = compiled.parameters.map((p) => (typeof p === 'string' ? (where.get(p) ?? null) : null));
  const used = new Set(slots.filter((s) => s !== null).map((s) => s.join(',')));
  if (
    used.size !== where.size ||
    slots.filter((s) => s !== null).length !== where.size ||
    compiled.sql.includes('\u0000')
  ) {
    throw new Error(`prepared(): each argument must be exactly one parameter of the query: ${compiled.sql}`);
  }
  return { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, slots, constants: compiled.parameters };
}
