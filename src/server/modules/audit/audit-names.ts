/**
 * Names for the people and things audit events point at, read at display time: the actor's
 * current name, and the target's (a user's name, an item's name, a purchase order's
 * reference…). The stored events keep ids only (they are hashed and never rewritten); a name
 * that no longer resolves (a deleted row) is null and the page falls back to the raw id.
 */
import type { Db } from '../context.ts';
import { isNamedType, namesOf } from './audit.repository.ts';

type Named = { actor: { userId: string | null }; target: { type: string; id: string | null } | null };

/** Adds `actor.name` and `target.name` to each event, with one query per kind of thing named. */
export async function withNames<E extends Named>(
  db: Db,
  events: E[],
): Promise<
  (E & {
    actor: E['actor'] & { name: string | null };
    target: (NonNullable<E['target']> & { name: string | null }) | null;
  })[]
> {
  const wanted = new Map<string, Set<string>>();
  const want = (type: string, id: string | null) => {
    if (!id || !isNamedType(type)) return;
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
      for (const row of await namesOf(db, type, [...ids])) names.set(`${type}:${row.id}`, row.name);
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
