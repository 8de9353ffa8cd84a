import { z } from 'zod';

const AuditActor = z.object({ userId: z.string().nullable(), label: z.string().nullable() });
const AuditTarget = z.object({ type: z.string(), id: z.string().nullable() });

/** One stored event, as the export writes it. */
export const AuditRecord = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: AuditActor,
  elevated: z.boolean(),
  action: z.string(),
  outcome: z.enum(['success', 'failure']),
  target: AuditTarget.nullable(),
  before: z.unknown().describe('The state before the change (JSON), or null'),
  after: z.unknown().describe('The state after the change (JSON), or null'),
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  hash: z.string(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** One event as the log lists it: the stored event plus the current names of who and what. */
export const AuditEvent = AuditRecord.extend({
  actor: AuditActor.extend({
    name: z.string().nullable().describe("The acting user's current name; null for anonymous or system events"),
  }),
  target: AuditTarget.extend({
    name: z
      .string()
      .nullable()
      .describe('What the target is called now (a user’s name, an item, a PO reference…); null when unknown'),
  }).nullable(),
}).meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEvent>;

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();
const instant = z.iso.datetime({ offset: true, error: 'Use an ISO date and time, e.g. 2026-11-23T00:00:00Z.' });

/** Filters shared by the list, the export and the audit page. */
export const AuditFilter = z.object({
  user: z.string().max(64).optional().describe('Actor user id'),
  action: z.string().max(100).optional().describe('Exact action, or a prefix ending in "." (e.g. "auth.")'),
  area: z.string().max(40).optional().describe('First part of the action, e.g. "users", "auth", "permissions"'),
  targetType: z.string().max(40).optional(),
  targetId: z.string().max(100).optional(),
  from: instant.optional(),
  to: instant.optional(),
  elevated: flag.describe('Only events done under the master code'),
  failures: flag.describe('Only failures (wrong passwords, wrong codes, refused actions)'),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditQuery = AuditFilter.extend({
  before: z.coerce.number().int().min(1).optional().describe('Keyset cursor: events with a lower sequence number'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({ items: z.array(AuditEvent), nextCursor: z.number().int().nullable() });
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditExportQuery = AuditFilter.extend({ format: z.enum(['csv', 'json']).default('csv') });

export const VerifyResult = z
  .object({
    ok: z.boolean(),
    events: z.number().int(),
    lastSeq: z.number().int(),
    headHash: z.string().nullable(),
    checkpoint: z.object({ seq: z.number().int(), at: z.string() }).nullable(),
    brokenAt: z.number().int().nullable().describe('The first sequence number that does not verify'),
    problem: z.string().nullable(),
    checkedAt: z.string(),
  })
  .meta({ id: 'AuditVerifyResult' });
export type VerifyResult = z.infer<typeof VerifyResult>;

export const Checkpoint = z.object({ seq: z.number().int(), hash: z.string(), at: z.string(), keyId: z.string() });
