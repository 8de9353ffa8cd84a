import { z } from 'zod';
import { Email } from './common.ts';

export const TemplateKey = z.enum(['studio', 'stores'], { error: 'Choose studio or stores.' });

export const SetupStatus = z.object({
  needed: z.boolean(),
  templates: z.array(
    z.object({ key: TemplateKey, label: z.string(), description: z.string(), roles: z.array(z.string()) }),
  ),
});
export type SetupStatus = z.infer<typeof SetupStatus>;

/** Whether `zone` is an IANA time zone this runtime knows (e.g. "Europe/Lisbon", "UTC"). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The time zones to choose from, by name. */
export function timeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

export const SetupBody = z.object({
  businessName: z.string().trim().min(1, 'Enter the business name.').max(120, 'Use at most 120 characters.'),
  template: TemplateKey,
  admin: z.object({
    name: z.string().trim().min(1, 'Enter your name.').max(120, 'Use at most 120 characters.'),
    email: Email,
    password: z.string().max(1024, 'That password is far too long.'),
  }),
  timezone: z
    .string()
    .trim()
    .max(64)
    .refine(isTimeZone, 'Choose a time zone from the list, such as Europe/Lisbon.')
    .default('UTC'),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'Use a three-letter ISO currency code such as EUR.')
    .default('EUR'),
  demoData: z.boolean().default(false),
});
export type SetupBody = z.input<typeof SetupBody>;

export const SetupResult = z.object({ ok: z.literal(true), adminId: z.string() });
