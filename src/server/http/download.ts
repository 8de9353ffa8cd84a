import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
} as const;

/**
 * Sends a file to download: its type, an attachment name (quotes removed), and the body as a
 * stream (a Readable, or any async iterable of text chunks).
 */
export function sendDownload(
  reply: FastifyReply,
  file: { name: string; type: keyof typeof CONTENT_TYPES; body: Readable | AsyncIterable<string>; size?: number },
): FastifyReply {
  reply
    .header('content-type', CONTENT_TYPES[file.type])
    .header('content-disposition', `attachment; filename="${file.name.replace(/["\\\r\n]/g, '')}"`)
    .header('x-content-type-options', 'nosniff');
  if (file.size !== undefined) reply.header('content-length', String(file.size));
  return reply.send(file.body instanceof Readable ? file.body : Readable.from(file.body));
}

/** "steward-items-2026-11-23.csv": the name of an export made today (UTC). */
export function exportName(what: string, ext: string): string {
  return `steward-${what}-${new Date().toISOString().slice(0, 10)}.${ext}`;
}
