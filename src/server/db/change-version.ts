/**
 * Which databases can say cheaply whether anything changed since a read: SQLite through its
 * data version (`SqliteWalDialect.dataVersion`). PostgreSQL has no such signal without a round
 * trip, and a round trip costs what it would save: there every read goes to the database.
 *
 * Reading SQLite's data version is itself a small read (about 3.5 µs: it opens a read
 * transaction), and a request makes several kept reads. So the version read is reused until the
 * next *moment*: a moment ends when a request starts (`newMoment`, from the app's first hook),
 * when this process commits anything, and at the end of the event-loop turn in which it was read.
 * A request therefore never uses a version read before it arrived: a change committed before a
 * request was sent — by this process or another — is seen by that request.
 */
type Entry = { read: () => number | null; moment: number; version: number | null };
const versions = new WeakMap<object, Entry>();
let moment = 0;
let ending = false;

/** Registers how `db` (a root Kysely instance, never a transaction) tells its data version. */
export function registerDataVersion(db: object, read: () => number | null): void {
  versions.set(db, { read, moment: -1, version: null });
}

/** Ends the current moment: the next `dataVersionOf` reads the version again. */
export function newMoment(): void {
  moment++;
}

/**
 * The current data version of `db`, or null when it has none: a transaction (which must see its
 * own writes), PostgreSQL, an in-memory SQLite database.
 */
export function dataVersionOf(db: object): number | null {
  const entry = versions.get(db);
  if (!entry) return null;
  if (entry.moment !== moment) {
    entry.version = entry.read();
    entry.moment = moment;
    if (!ending) {
      ending = true;
      setImmediate(() => {
        ending = false;
        moment++;
      });
    }
  }
  return entry.version;
}
