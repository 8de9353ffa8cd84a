import { z } from 'zod';
import { Email } from './common.ts';
import { isTimeZone, TemplateKey } from './setup.ts';

/**
 * The business's own details: its name and time zone (set at first run, changeable), the contact
 * details printed on documents it sends (a purchase order), and what first run fixed for good.
 */
const Line = (max: number, what: string) =>
  z.string().trim().max(max, `Use at most ${max} characters for the ${what}.`);

export const BUSINESS_LIMITS = { name: 120, address: 300, phone: 40, taxId: 40 } as const;

export const BusinessDetailsBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Enter the business name.')
      .max(BUSINESS_LIMITS.name, `Use at most ${BUSINESS_LIMITS.name} characters.`),
    timezone: z
      .string()
      .trim()
      .max(64, 'Choose a time zone from the list, such as Europe/Lisbon.')
      .refine(isTimeZone, 'Choose a time zone from the list, such as Europe/Lisbon.'),
    address: Line(BUSINESS_LIMITS.address, 'address').default(''),
    phone: Line(BUSINESS_LIMITS.phone, 'phone number')
      .regex(/^[0-9+()./\s-]*$/, 'Use digits, spaces and + ( ) - . / only in the phone number.')
      .default(''),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .max(254, 'An email address has at most 254 characters.')
      .refine((v) => v === '' || Email.safeParse(v).success, 'Enter a valid email address, or leave it empty.')
      .default(''),
    taxId: Line(BUSINESS_LIMITS.taxId, 'tax number').default(''),
  })
  .meta({ id: 'BusinessDetailsBody' });
export type BusinessDetailsBody = z.output<typeof BusinessDetailsBody>;

export const BusinessDetails = z
  .object({
    name: z.string(),
    timezone: z.string(),
    address: z.string(),
    phone: z.string(),
    email: z.string(),
    taxId: z.string(),
    /** Fixed at first run: money already recorded is in this currency. */
    currency: z.string(),
    /** Fixed at first run: the built-in roles came from it. */
    template: TemplateKey,
  })
  .meta({ id: 'BusinessDetails' });
export type BusinessDetails = z.infer<typeof BusinessDetails>;
