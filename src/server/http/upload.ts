import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, ValidationError } from './errors.ts';
import { zod } from './route.ts';

/**
 * Declares routes that take uploads (multipart/form-data, one file): `declare` adds them to a
 * scope of their own where the multipart plugin is registered. The plugin adds two hooks to every
 * request of its scope, so only these routes pay for them, not every answer (/healthz's
 * included); elsewhere a multipart body is a 415. Each route sets its own size (uploadedFile).
 */
export async function uploadRoutes(
  app: FastifyInstance,
  declare: (routes: ReturnType<typeof zod>) => void,
): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: { files: 1, fields: 10, fileSize: 20 * 1024 * 1024 } });
    declare(zod(scope));
  });
}

/** The one file of a multipart/form-data request, read into memory (bounded by `maxBytes`). */
export async function uploadedFile(request: FastifyRequest, maxBytes: number): Promise<{ name: string; data: Buffer }> {
  if (!request.isMultipart()) {
    throw new HttpError(
      415,
      'unsupported-media-type',
      'Send a file',
      'Send the file as multipart/form-data (a form with one file field).',
    );
  }
  const file = await request.file({ limits: { fileSize: maxBytes, files: 1 } });
  if (!file) throw new ValidationError('No file was sent.', [{ path: 'file', message: 'Choose a file.' }]);
  const data = await file.toBuffer().catch((err: unknown) => {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new HttpError(
        413,
        'payload-too-large',
        'File too large',
        `Files are limited to ${Math.round(maxBytes / 1024 / 1024)} MB.`,
      );
    }
    throw err;
  });
  return { name: file.filename || 'upload', data };
}
