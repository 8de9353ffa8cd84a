import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Conditional GET from a data version (issue 20, part 5). The version is read before the data,
 * so the tag a response carries is never newer than its body: a change made in between only
 * makes the next conditional request answer in full. When the request's `If-None-Match` names
 * the current tag, it answers 304 and returns true: the caller returns without running its query.
 * `Cache-Control: no-store` stays (app.ts): API clients that keep the tag themselves revalidate.
 */
export function notModified(request: FastifyRequest, reply: FastifyReply, name: string, version: number): boolean {
  const tag = `W/"${name}-${version}"`;
  reply.header('etag', tag);
  const wanted = request.headers['if-none-match'];
  if (!wanted) return false;
  // Weak comparison (RFC 9110 §13.1.2): a tag matches with or without its W/ (a proxy may drop it).
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const tags = wanted.split(',').map(opaque);
  if (!tags.includes(opaque(tag)) && !tags.includes('*')) return false;
  reply.code(304).send();
  return true;
}
