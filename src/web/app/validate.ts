import type { z } from 'zod';

/**
 * Checks a request body with the same shared schema the server checks it with, before anything
 * is sent: the field errors by path ("cost", "lines.0.quantity"), the way the server would name
 * them in its problem answer, or null when the body is valid.
 */
export function fieldErrors(schema: z.ZodType, body: unknown): Record<string, string> | null {
  const result = schema.safeParse(body);
  if (result.success) return null;
  const out: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.') || '_';
    out[path] ??= issue.message;
  }
  return out;
}
