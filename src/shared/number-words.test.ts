/**
 * The shared number formatters write what ICU writes (`toLocaleString('en')`,
 * `Intl.PluralRules('en')`) without loading ICU's data into the server at start-up.
 */
import { describe, expect, it } from 'vitest';
import { formatMinor, grouped, MAX_MONEY_MINOR, MAX_QUANTITY, MAX_STOCK } from './contracts/bounds.ts';
import { plural, quantity } from './quantities.ts';

const samples = [
  0,
  1,
  -1,
  7,
  12,
  99,
  100,
  101,
  999,
  1000,
  -1000,
  1001,
  12_345,
  999_999,
  1_000_000,
  -1_234_567,
  MAX_QUANTITY,
  MAX_STOCK,
  -MAX_STOCK,
  MAX_MONEY_MINOR,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
];

describe('numbers in words without ICU', () => {
  it('groups whole numbers as toLocaleString("en") does', () => {
    for (const n of samples) expect(grouped(n), String(n)).toBe(n.toLocaleString('en'));
    for (let i = 0; i < 2000; i++) {
      const n = Math.round((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 16)) || 0; // never -0 (ICU writes "-0")
      expect(grouped(n), String(n)).toBe(n.toLocaleString('en'));
    }
  });

  it('writes minor units in major units as toLocaleString("en") with two decimals does', () => {
    const icu = (n: number) => (n / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    for (const n of [...samples.filter((n) => Math.abs(n) <= MAX_MONEY_MINOR), 5, 50, 105, -5, -105, 123_456_789]) {
      expect(formatMinor(n), String(n)).toBe(icu(n));
    }
    expect(formatMinor(MAX_MONEY_MINOR)).toBe('9,999,999,999.99');
    for (let i = 0; i < 2000; i++) {
      const n = Math.round((Math.random() - 0.5) * 2 * MAX_MONEY_MINOR) || 0;
      expect(formatMinor(n), String(n)).toBe(icu(n));
    }
  });

  it('agrees in number as Intl.PluralRules("en") does', () => {
    const rules = new Intl.PluralRules('en');
    for (const n of [...samples, 0.5, 1.5, -0.5, 2.25]) {
      const expected = rules.select(n) === 'one' ? 'item' : 'items';
      expect(plural(n, 'item').endsWith(` ${expected}`), `${n}: ${plural(n, 'item')}`).toBe(true);
    }
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(10_000, 'item')).toBe('10,000 items');
    expect(quantity(1, 'bottles')).toBe('1 bottle');
    expect(quantity(2_500, 'bottle')).toBe('2,500 bottles');
  });
});
