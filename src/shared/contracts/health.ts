import { z } from 'zod';

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({
  status: z.enum(['ready', 'not-ready']),
  database: z.object({ engine: z.enum(['sqlite', 'postgres']), reachable: z.boolean() }),
  migrations: z.object({ current: z.boolean(), pending: z.array(z.string()) }),
});
