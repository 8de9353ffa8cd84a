/**
 * Which databases can say cheaply whether anything changed since a read: SQLite through its
 * data version (`SqliteWalDialect.dataVersion`). PostgreSQL has no such signal without a round
 * trip, and a round trip costs what it would save: there every read goes to the database.
 */
const versions = new WeakMap<object, () => number | null>();

/** Registers how `db` (a root Kysely instance, never a transaction) tells its data version. */
export function registerDataVersion(db: object, read: () => number | null): void {
  versions.set(db, read);
}

/**
 * The current data version of `db`, or null when it has none: a transaction (which must see its
 * own writes), PostgreSQL, an in-memory SQLite database.
 */
export function dataVersionOf(db: object): number | null {
  return versions.get(db)?.() ?? null;
}
