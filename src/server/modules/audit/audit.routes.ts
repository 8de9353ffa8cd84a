import type { FastifyInstance } from 'fastify';
import { AuditExportQuery, AuditPage, AuditQuery, Checkpoint, VerifyResult } from '../../../shared/contracts/audit.ts';
import { exportName, sendDownload } from '../../http/download.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { scopeOf } from '../../http/scope.ts';
import type { AuditService } from './audit.service.ts';

export async function auditRoutes(app: FastifyInstance, opts: { audit: AuditService }) {
  const { audit } = opts;
  const r = zod(app);
  const tags = ['audit'];
  r.get(
    '/audit',
    {
      config: { permission: 'security.audit', resource: 'audit_event' },
      schema: {
        tags,
        summary: 'Search the audit log, newest first (keyset pagination: pass nextCursor as before)',
        querystring: AuditQuery,
        response: responses({ 200: AuditPage }),
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      return audit.search(ctxOf(request), scopeOf(request, 'audit_event'), filter, limit);
    },
  );
  r.get(
    '/audit/verify',
    {
      // Verifying reads and reports on every event of the chain: `own` access is refused.
      config: { permission: 'security.audit', resource: 'audit_chain' },
      schema: {
        tags,
        summary: 'Recompute the hash chain from the first event and check the newest signed checkpoint',
        response: responses({ 200: VerifyResult }),
      },
    },
    async (request) => audit.verify(ctxOf(request)),
  );
  r.post(
    '/audit/checkpoints',
    {
      config: { permission: 'security.audit', resource: 'audit_chain' },
      schema: {
        tags,
        summary: 'Sign the current head of the chain now (recorded as an event first, so it is covered)',
        response: responses({ 200: Checkpoint.nullable() }),
      },
    },
    async (request) => {
      const c = await audit.checkpointBy(ctxOf(request));
      return c ? { seq: c.seq, hash: c.hash, at: c.at, keyId: c.keyId } : null;
    },
  );
  r.get(
    '/audit/export',
    {
      config: { permission: 'security.audit', resource: 'audit_event' },
      schema: {
        tags,
        summary: 'Download the filtered log as CSV or JSON (streamed); the export itself is audited',
        querystring: AuditExportQuery,
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const body = await audit.export(ctxOf(request), scopeOf(request, 'audit_event'), format, filter);
      return sendDownload(reply, { name: exportName('audit', format), type: format, body });
    },
  );
}
