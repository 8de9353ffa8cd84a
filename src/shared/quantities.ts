/**
 * Counts and quantities in words that agree in number ("1 item", "31 bottles"): the web app shows
 * them, and the server's messages and documents (a purchase order's PDF) say them the same way.
 */
import { grouped } from './contracts/bounds.ts';

/** English plural rule (what `Intl.PluralRules('en')` says, without loading ICU's rules): 1 is one. */
const isOne = (n: number) => Math.abs(n) === 1;

/** A count with its noun, agreeing in number: `plural(1, 'item')` → "1 item", `plural(31, 'bottle')` → "31 bottles". */
export function plural(n: number, one: string, other = `${one}s`): string {
  return `${grouped(n)} ${isOne(n) ? one : other}`;
}

/** Units written as symbols or abbreviations: never inflected ("1 kg", "5 kg"). */
const UNIT_SYMBOLS = new Set(
  'mg g kg t ml cl dl l m cm mm km m2 m3 oz lb lbs ft in yd gal qt pt h min s ea each dozen gross'.split(' '),
);
/** Words the same in the singular and the plural. */
const INVARIANT = new Set(['each', 'dozen', 'gross', 'sheep', 'series', 'species']);

/** "bottle" → "bottles", "box" → "boxes", "battery" → "batteries". */
function pluralOf(word: string): string {
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** "bottles" → "bottle", "boxes" → "box", "batteries" → "battery", "glasses" → "glass". */
function singularOf(word: string): string {
  if (/[^aeiou]ies$/i.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|z|ch|sh)es$/i.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}

/** Whether a word reads as a plural already ("bottles", "boxes"; not "glass", "bus", "kiss"). */
const looksPlural = (word: string) => /s$/i.test(word) && !/(ss|us|is)$/i.test(word);

/**
 * An item's unit agreeing with a quantity. Units are stored as the user typed them, singular
 * ("bottle") or plural ("bottles"): either reads right ("1 bottle", "31 bottles"). Pieces are
 * "pc"/"pcs"; symbols and abbreviations ("kg", "ml", "m²", "btl.") and units of several words
 * other than "X of Y" ("pack of 6" → "packs of 6") are inflected on their last word or not at all.
 */
export function unitFor(n: number, unit: string): string {
  const u = unit.trim();
  const one = isOne(n);
  const lower = u.toLowerCase();
  if (lower === 'pc' || lower === 'pcs') return one ? 'pc' : 'pcs';
  const of = u.search(/\s+of\s+/i);
  const [head, tail] = of > 0 ? [u.slice(0, of), u.slice(of)] : [u, ''];
  const words = head.split(/(\s+)/);
  const last = words.at(-1) ?? '';
  if (!/^[A-Za-z]{2,}$/.test(last) || UNIT_SYMBOLS.has(last.toLowerCase()) || INVARIANT.has(last.toLowerCase())) {
    return u;
  }
  // An all-capitals word is an abbreviation ("EA", "BTL"): kept as it is.
  if (last === last.toUpperCase()) return u;
  const inflected = looksPlural(last) ? (one ? singularOf(last) : last) : one ? last : pluralOf(last);
  return [...words.slice(0, -1), inflected].join('') + tail;
}

/** A quantity with its unit: `quantity(31, 'bottle')` → "31 bottles", `quantity(1, 'bottles')` → "1 bottle". */
export function quantity(n: number, unit: string): string {
  return `${grouped(n)} ${unitFor(n, unit)}`.trimEnd();
}
