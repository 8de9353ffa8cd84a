import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DiskFullError, diskFullCause, type FieldError, HttpError } from './errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
};

function send(reply: FastifyReply, request: FastifyRequest, err: HttpError): FastifyReply {
  const body: Problem = {
    ...err.extra,
    type: `urn:steward:problem:${err.slug}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    instance: request.url.split('?')[0] as string,
    requestId: String(request.id),
  };
  if (err.errors) body.errors = err.errors;
  if (err.status === 429 && typeof err.extra?.retryAfter === 'number') {
    reply.header('retry-after', String(err.extra.retryAfter));
  }
  return reply.status(err.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

function pathOf(p: readonly PropertyKey[], where: string): string {
  return p.length > 0 ? p.map(String).join('.') : where;
}

/** Translates Fastify's own errors (parsing, limits, validation) into typed ones. */
function fromFastify(err: FastifyError): HttpError | null {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err.validationContext ?? 'body') as string;
    const errors = err.validation.map((v) => ({
      path: pathOf(v.instancePath.split('/').filter(Boolean), where),
      message: v.message ?? 'is not valid',
    }));
    // One field may fail several rules (a number past its bound that is no integer either): it is
    // named once, with its first complaint, not counted as two fields.
    const paths = [...new Set(errors.map((e) => e.path))];
    const first = errors[0];
    const detail =
      paths.length === 1 && first
        ? `${first.path}: ${first.message}`
        : `${paths.length} fields are not valid: ${paths.join(', ')}.`;
    return new HttpError(400, 'invalid-request', 'The request is not valid', detail, { errors });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'payload-too-large', 'Request too large', 'The request body is larger than allowed.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(
        415,
        'unsupported-media-type',
        'Unsupported content type',
        'Send the request body as application/json.',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'malformed-request', 'Malformed request', 'The request body is not valid JSON.');
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new HttpError(400, 'malformed-request', 'Malformed request', 'The request body is not valid JSON.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new HttpError(err.statusCode, 'bad-request', 'Bad request', err.message);
  }
  return null;
}

/**
 * Errors Fastify raises before a route is found (a malformed or over-long address): the same
 * problem documents as everything else. Passed as Fastify's `frameworkErrors` option.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const err =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new HttpError(414, 'uri-too-long', 'Address too long', 'A part of the address is too long.')
      : error.code === 'FST_ERR_BAD_URL'
        ? new HttpError(400, 'bad-url', 'Bad address', 'The address is not valid (check its % escapes).')
        : new HttpError(
            500,
            'internal',
            'Something went wrong',
            `Something went wrong on our side. If it keeps happening, quote request id ${request.id}.`,
          );
  send(reply, request, err);
}

/** One error handler for the whole app: typed errors → problem+json; anything else → a generic 500. */
export function registerProblemHandler(
  app: FastifyInstance,
  fallback?: (request: FastifyRequest, reply: FastifyReply) => boolean,
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) return send(reply, request, error);
    let mapped: HttpError | null = null;
    try {
      mapped = isResponseSerializationError(error) ? null : fromFastify(error);
    } catch (mappingError) {
      request.log.error({ err: mappingError }, 'could not map an error to a problem');
    }
    if (mapped) {
      request.log.info({ err: { code: error.code, message: error.message } }, 'request refused');
      return send(reply, request, mapped);
    }
    const full = diskFullCause(error);
    if (full) {
      // The cause an operator needs ("database or disk is full", ENOSPC on a path, SQLSTATE 53100).
      request.log.error({ err: full }, `the disk is full, the request was refused: ${full.message}`);
      return send(reply, request, new DiskFullError());
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(
      reply,
      request,
      new HttpError(
        500,
        'internal',
        'Something went wrong',
        `Something went wrong on our side. If it keeps happening, quote request id ${request.id}.`,
      ),
    );
  });

  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return;
    send(
      reply,
      request,
      new HttpError(404, 'not-found', 'Not found', `There is no ${request.method} ${request.url.split('?')[0]}.`),
    );
  });
}
