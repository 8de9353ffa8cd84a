/**
 * The limits of every number Steward stores: money, quantities and their products. One file, used
 * by the API's Zod schemas, the import path, the stock ledger, the readers and the web forms.
 *
 * Why these figures:
 * - Money is in integer minor units (cents). One amount is at most MAX_MONEY_MINOR
 *   (9 999 999 999.99 in major units), and so is a line total (quantity × unit amount) and an
 *   order total. Summing up to 10 000 such amounts stays below 2^53, so JavaScript adds them
 *   exactly; every amount fits PostgreSQL's `bigint` and SQLite's 64-bit integers.
 * - One quantity (an order line, a stock change, a count, a reorder level) is at most
 *   MAX_QUANTITY (ten million units).
 * - On hand is a running figure: at most ±MAX_STOCK (a billion units), checked by the ledger
 *   itself when a movement would pass it.
 */

/** The largest amount, in minor units (cents): 9 999 999 999.99. */
export const MAX_MONEY_MINOR = 999_999_999_999;
/** The largest quantity in one field: ten million units. */
export const MAX_QUANTITY = 10_000_000;
/** The largest on-hand figure, either way (negative stock is allowed by a setting). */
export const MAX_STOCK = 1_000_000_000;

/**
 * A whole number with thousands separators, as `toLocaleString('en')` writes it: 10000000 →
 * "10,000,000". Written out because these messages are built when the contracts load, and the
 * first `toLocaleString` maps about 7 MB of ICU's locale data into the server for good.
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/** `n` (whole minor units) in major units as people write it: 999999999999 → "9,999,999,999.99". */
export function formatMinor(n: number): string {
  if (!Number.isSafeInteger(n))
    return (n / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cents = Math.abs(n) % 100;
  const whole = grouped(Math.trunc(Math.abs(n) / 100));
  return `${n < 0 ? '-' : ''}${whole}.${String(cents).padStart(2, '0')}`;
}

/**
 * A number read from the database, made safe to answer with: within ±`limit`, a whole number.
 * Rows written before the limits existed (or by hand) then still list instead of failing the read;
 * whatever they hold beyond the limit reads as the limit until someone corrects it.
 */
export function storedWhole(value: unknown, limit: number): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 0 : n > 0 ? limit : -limit;
  return Math.max(-limit, Math.min(limit, Math.trunc(n)));
}

/** An amount read from the database (see storedWhole). */
export const storedMoney = (value: unknown) => storedWhole(value, MAX_MONEY_MINOR);
/** A quantity read from the database (see storedWhole). */
export const storedQuantity = (value: unknown) => storedWhole(value, MAX_STOCK);

/**
 * The range of each number in the security settings (Settings → Sign-in & keys), inclusive. The API's
 * schema (contracts/security.ts) and the web form's fields both read these.
 */
export const SECURITY_LIMITS = {
  sessionIdleMinutes: [5, 24 * 60],
  sessionAbsoluteHours: [1, 24 * 30],
  elevationMinutes: [1, 60],
  loginMaxFailures: [3, 100],
  loginLockMinutes: [1, 24 * 60],
  loginAddressMaxFailures: [5, 1000],
  elevationMaxFailuresPerUser: [3, 100],
  elevationMaxFailuresPerAddress: [3, 100],
  masterCodeMaxFailures: [3, 100],
  passwordMinLength: [8, 64],
} as const satisfies Record<string, readonly [number, number]>;
