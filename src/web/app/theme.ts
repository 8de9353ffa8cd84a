/**
 * Steward's Mantine theme. Mantine's default palettes put white text on mid shades (teal 6 is
 * 2.5:1) and grey "dimmed" text at 3.3:1, below WCAG 2.1 AA (4.5:1 for normal text). Rather
 * than hand-pick colours, the dark half of every palette (shades 6–9: filled backgrounds,
 * coloured text, outlines, light-variant text) is darkened just enough to reach AA, with a
 * margin, against white text and against the palette's own light background; shades 0–5 stay
 * as Mantine made them. The e2e axe checks (e2e/a11y.e2e.test.ts) hold the result to AA.
 */
import {
  Badge,
  createTheme,
  DEFAULT_THEME,
  type MantineColorsTuple,
  Modal,
  NavLink,
  Notification,
} from '@mantine/core';

type Rgb = [number, number, number];

function parse(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(parse(a)), luminance(parse(b))].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colour, darkened (mixed toward black) in small steps until it reaches `ratio` against every background. */
function darkenUntil(hex: string, backgrounds: string[], ratio: number): string {
  const rgb = parse(hex);
  for (let k = 0; k <= 100; k += 2) {
    const candidate = toHex(rgb.map((c) => c * (1 - k / 100)) as Rgb);
    if (backgrounds.every((bg) => contrast(candidate, bg) >= ratio)) return candidate;
  }
  return '#000000';
}

/** AA (4.5:1) with a margin, so anti-aliasing and tinted table rows do not tip it under. */
const TARGET = 4.7;
const WHITE = '#ffffff';
const LIGHT_GREY = DEFAULT_THEME.colors.gray[1];

export function accessiblePalette(colors: MantineColorsTuple): MantineColorsTuple {
  const out = [...colors];
  let previous = '';
  for (let shade = 6; shade <= 9; shade++) {
    // Light variants put shade 9 on shade 1, and on shade 2 under the pointer.
    const backgrounds = [WHITE, LIGHT_GREY, colors[0], colors[1], colors[2]];
    let hex = darkenUntil(colors[shade] ?? '#000000', backgrounds, TARGET);
    // Keep the palette ordered: a shade is never lighter than the one before it.
    if (previous && luminance(parse(hex)) > luminance(parse(previous))) hex = previous;
    out[shade] = hex;
    previous = hex;
  }
  return out as unknown as MantineColorsTuple;
}

const colors = Object.fromEntries(
  Object.entries(DEFAULT_THEME.colors)
    .filter(([name]) => name !== 'dark')
    .map(([name, palette]) => [name, accessiblePalette(palette)]),
);

export const theme = createTheme({
  primaryColor: 'teal',
  defaultRadius: 'md',
  fontFamily: 'system-ui, sans-serif',
  colors,
  components: {
    // Mantine fades an active link's description to 90 %, which takes it under 4.5:1.
    NavLink: NavLink.extend({ styles: { description: { opacity: 1 } } }),
    // Mantine cuts a badge short ("THIS …") when a table column or a row is narrow: a badge is a
    // word or two, so it keeps its whole width and the column grows (or the table scrolls).
    Badge: Badge.extend({ styles: { root: { flexShrink: 0, overflow: 'visible' }, label: { overflow: 'visible' } } }),
    // Mantine's close button is an icon without a name: screen readers would announce "button".
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    // The same for a toast's close button.
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } } }),
  },
});
