import { z } from 'zod';

/** One business module as Settings → Modules shows it. */
export const BusinessModule = z
  .object({
    key: z.string(),
    label: z.string(),
    description: z.string(),
    on: z.boolean(),
    /** Never switched off (Settings, Security). */
    alwaysOn: z.boolean(),
    /** Modules this one needs: switching it on switches them on too. */
    needs: z.array(z.string()),
    /** Switched-on modules that need this one: it cannot go off before they do. */
    neededBy: z.array(z.string()),
  })
  .meta({ id: 'BusinessModule' });
export type BusinessModule = z.infer<typeof BusinessModule>;

export const BusinessModuleList = z.object({ items: z.array(BusinessModule) }).meta({ id: 'BusinessModuleList' });
export type BusinessModuleList = z.infer<typeof BusinessModuleList>;

export const SwitchModuleBody = z.strictObject({
  on: z.boolean({ error: 'Say whether the module is on (true) or off (false).' }),
});
export type SwitchModuleBody = z.infer<typeof SwitchModuleBody>;

export const ModuleKeyParams = z.object({ key: z.string().max(40) });
