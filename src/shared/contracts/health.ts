import { z } from 'zod';

/** Free space under the data directory, and whether it is below the warning threshold. */
export const DiskSpace = z
  .object({
    freeBytes: z.number().int().describe('Bytes available to Steward'),
    totalBytes: z.number().int(),
    freePercent: z.number().describe('Free space as a percentage of the volume, one decimal'),
    low: z.boolean().describe('Below the warning threshold (STEWARD_DISK_WARN_FREE_MB or _PERCENT)'),
  })
  .meta({ id: 'DiskSpace' });
export type DiskSpace = z.infer<typeof DiskSpace>;

/** What admins see: the figures, the thresholds and the directory they are measured on. */
export const DiskReport = z
  .object({
    disk: DiskSpace.nullable().describe('null when the volume could not be measured'),
    path: z.string(),
    thresholds: z.object({ freeBytes: z.number().int(), freePercent: z.number() }),
  })
  .meta({ id: 'DiskReport' });
export type DiskReport = z.infer<typeof DiskReport>;

export const Health = z.object({ status: z.literal('ok'), disk: DiskSpace.nullable() });
export const Ready = z.object({
  status: z.enum(['ready', 'not-ready']),
  database: z.object({ engine: z.enum(['sqlite', 'postgres']), reachable: z.boolean() }),
  migrations: z.object({ current: z.boolean(), pending: z.array(z.string()) }),
});
