import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  type AuditEvent,
  AuditExportQuery,
  AuditPage,
  AuditQuery,
  Checkpoint,
  VerifyResult,
} from '../../../shared/contracts/audit.ts';
import { transaction } from '../../db/database.ts';
import { actorOf } from '../../http/guard.ts';
import { contextOf, responses, zod } from '../../http/route.ts';
import { csvField } from '../../lib/spreadsheet.ts';
import type { AuditService } from './audit.service.ts';

const CSV_COLUMNS = [
  'seq',
  'at_utc',
  'actor',
  'actor_user_id',
  'elevated',
  'action',
  'outcome',
  'target_type',
  'target_id',
  'reason',
  'before',
  'after',
  'ip',
  'user_agent',
  'request_id',
  'hash',
] as const;

function csvRow(e: AuditEvent): string {
  const values = [
    e.seq,
    e.at,
    e.actor.label,
    e.actor.userId,
    e.elevated ? 'yes' : 'no',
    e.action,
    e.outcome,
    e.target?.type,
    e.target?.id,
    e.reason,
    e.before,
    e.after,
    e.ip,
    e.userAgent,
    e.requestId,
    e.hash,
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

async function* csv(events: AsyncGenerator<AuditEvent>) {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const e of events) yield csvRow(e);
}

async function* json(events: AsyncGenerator<AuditEvent>) {
  yield '[\n';
  let first = true;
  for await (const e of events) {
    yield `${first ? '' : ',\n'}${JSON.stringify(e)}`;
    first = false;
  }
  yield '\n]\n';
}

export async function auditRoutes(app: FastifyInstance, opts: { audit: AuditService }) {
  const { audit } = opts;
  const r = zod(app);
  const tags = ['audit'];
  r.get(
    '/audit',
    {
      config: { permission: 'security.audit' },
      schema: {
        tags,
        summary: 'Search the audit log, newest first (keyset pagination: pass nextCursor as before)',
        querystring: AuditQuery,
        response: responses({ 200: AuditPage }),
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      return audit.search(filter, limit);
    },
  );
  r.get(
    '/audit/verify',
    {
      config: { permission: 'security.audit' },
      schema: {
        tags,
        summary: 'Recompute the hash chain from the first event and check the newest signed checkpoint',
        response: responses({ 200: VerifyResult }),
      },
    },
    async () => audit.verify(),
  );
  r.post(
    '/audit/checkpoints',
    {
      config: { permission: 'security.audit' },
      schema: {
        tags,
        summary: 'Sign the current head of the chain now (recorded as an event first, so it is covered)',
        response: responses({ 200: Checkpoint.nullable() }),
      },
    },
    async (request) => {
      await transaction(app.services.database.db, (trx) =>
        audit.record(trx, {
          action: 'audit.checkpoint',
          actor: actorOf(request),
          target: { type: 'audit', id: null },
          context: contextOf(request),
        }),
      );
      // Signed after the event above, so the checkpoint covers it too.
      const c = await audit.checkpoint();
      return c ? { seq: c.seq, hash: c.hash, at: c.at, keyId: c.keyId } : null;
    },
  );
  r.get(
    '/audit/export',
    {
      config: { permission: 'security.audit' },
      schema: {
        tags,
        summary: 'Download the filtered log as CSV or JSON (streamed); the export itself is audited',
        querystring: AuditExportQuery,
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      await transaction(app.services.database.db, (trx) =>
        audit.record(trx, {
          action: 'audit.export',
          actor: actorOf(request),
          target: { type: 'audit', id: null },
          after: { format, filter },
          context: contextOf(request),
        }),
      );
      const stamp = new Date().toISOString().slice(0, 10);
      reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="steward-audit-${stamp}.${format}"`);
      const events = audit.stream(filter);
      return reply.send(Readable.from(format === 'csv' ? csv(events) : json(events)));
    },
  );
}
