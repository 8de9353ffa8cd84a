/**
 * Names for the people and things audit events point at, read at display time: the actor's
 * current name, and the target's (a user's name, an item's name, a purchase order's
 * reference…). The stored events keep ids only (they are hashed and never rewritten); a name
 * that no longer resolves (a deleted row) is null and the page falls back to the raw id.
 */
import type { Kysely } from 'kysely';
import { purchaseOrderReference } from '../../../shared/contracts/inventory.ts';
import type { DB } from '../../db/schema.ts';

type Named = { actor: { userId: string | null }; target: { type: string; id: string | null } | null };
type Lookup = (db: Kysely<DB>, ids: string[]) => Promise<{ id: string; name: string }[]>;

const LOOKUPS: Record<string, Lookup> = {
  user: (db, ids) => db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute(),
  item: (db, ids) =>
    db
      .selectFrom('items')
      .select(['id', 'name', 'sku'])
      .where('id', 'in', ids)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, name: `${r.name} (${r.sku})` }))),
  category: (db, ids) => db.selectFrom('categories').select(['id', 'name']).where('id', 'in', ids).execute(),
  supplier: (db, ids) => db.selectFrom('suppliers').select(['id', 'name']).where('id', 'in', ids).execute(),
  role: (db, ids) => db.selectFrom('roles').select(['key as id', 'name']).where('key', 'in', ids).execute(),
  api_key: (db, ids) => db.selectFrom('api_keys').select(['id', 'name']).where('id', 'in', ids).execute(),
  purchase_order: (db, ids) =>
    db
      .selectFrom('purchase_orders')
      .select(['id', 'number'])
      .where('id', 'in', ids)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, name: purchaseOrderReference(Number(r.number)) }))),
};

/** Adds `actor.name` and `target.name` to each event, with one query per kind of thing named. */
export async function withNames<E extends Named>(
  db: Kysely<DB>,
  events: E[],
): Promise<
  (E & {
    actor: E['actor'] & { name: string | null };
    target: (NonNullable<E['target']> & { name: string | null }) | null;
  })[]
> {
  const wanted = new Map<string, Set<string>>();
  const want = (type: string, id: string | null) => {
    if (!id || !LOOKUPS[type]) return;
    let set = wanted.get(type);
    if (!set) {
      set = new Set();
      wanted.set(type, set);
    }
    set.add(id);
  };
  for (const e of events) {
    want('user', e.actor.userId);
    if (e.target) want(e.target.type, e.target.id);
  }
  const names = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([type, ids]) => {
      const lookup = LOOKUPS[type];
      if (!lookup) return;
      for (const row of await lookup(db, [...ids])) names.set(`${type}:${row.id}`, row.name);
    }),
  );
  return events.map((e) => ({
    ...e,
    actor: { ...e.actor, name: e.actor.userId ? (names.get(`user:${e.actor.userId}`) ?? null) : null },
    target: e.target
      ? { ...e.target, name: e.target.id ? (names.get(`${e.target.type}:${e.target.id}`) ?? null) : null }
      : null,
  }));
}
