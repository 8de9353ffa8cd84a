/** Times are stored in UTC and shown in the business's time zone. */
export function formatDateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    new Date(iso),
  );
}

export function formatDate(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone }).format(new Date(iso));
}

export function formatTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** End of the given calendar day (from a date input), as an ISO instant in the browser's zone. */
export function endOfDay(date: string): string | null {
  if (!date) return null;
  const d = new Date(`${date}T23:59:59`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Money is stored in minor units (cents) and shown in the business's currency. */
export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100);
}

/** Basis points as a percentage: 2300 → "23 %". */
export function formatRate(bp: number): string {
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(bp / 100)} %`;
}

export { plural, quantity, unitFor } from '../../shared/quantities.ts';
