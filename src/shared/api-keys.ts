/**
 * API keys, defined once for the key generator, the guard that checks a presented key, and the
 * web app's key dialog: `stw_` and 43 base64url characters (32 random bytes, 256 bits).
 */
export const API_KEY_PREFIX = 'stw_';
/** Random bytes behind a key; base64url writes 32 bytes as 43 characters. */
export const API_KEY_RANDOM_BYTES = 32;
const CHARSET = 'A-Za-z0-9_-';
/** A well-formed key: anything else is refused before it is looked up. */
export const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[${CHARSET}]{43}$`);
/** What looks like a key, or most of one (e.g. pasted into an address). */
export const API_KEY_LIKE = new RegExp(`${API_KEY_PREFIX}[${CHARSET}]{20,}`, 'i');

/**
 * Which permissions a key may carry: those its maker holds on every record or on their own,
 * without the master code (`entries` as the engine states them for the maker, not elevated).
 */
export function keyablePermissions<P extends string>(entries: readonly { permission: P; access: string }[]): P[] {
  return entries.filter((e) => e.access === 'all' || e.access === 'own').map((e) => e.permission);
}
