import type { z } from 'zod';
import { ApiError, api } from './api.ts';

/**
 * Responses are checked against the shared contracts in development and in tests (unit and
 * browser: `npm run test:e2e` builds with `--mode test`), so a server that drifts from its
 * schema fails loudly there; a production build trusts the server and skips the work.
 */
export const PARSE_RESPONSES: boolean = import.meta.env.DEV || import.meta.env.MODE === 'test';

/** The response as the contract describes it; throws naming the first mismatch when parsing is on. */
export function parseResponse<S extends z.ZodType>(schema: S, data: unknown, url: string, parse = PARSE_RESPONSES) {
  if (!parse) return data as z.output<S>;
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `The answer of ${url} does not match its contract: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}

/** GET the URL and parse the answer with the schema (see PARSE_RESPONSES). */
export async function getParsed<S extends z.ZodType>(schema: S, url: string): Promise<z.output<S>> {
  return parseResponse(schema, await api.get<unknown>(url), url);
}

/** Sends a body and parses the answer with the schema. */
export async function sendParsed<S extends z.ZodType>(
  schema: S,
  method: 'post' | 'put' | 'patch' | 'delete',
  url: string,
  body?: unknown,
): Promise<z.output<S>> {
  const data = method === 'delete' ? await api.delete<unknown>(url) : await api[method]<unknown>(url, body);
  return parseResponse(schema, data, url);
}

/**
 * Retry only what may pass on a second try: no answer (network) or a server error (5xx), at
 * most twice. A 4xx (no access, not found, invalid) is the answer; retrying only delays it.
 */
export function shouldRetry(failureCount: number, error: Error): boolean {
  if (failureCount >= 2) return false;
  if (error instanceof ApiError) return error.status === 0 || error.status >= 500;
  return false;
}

/** Options every query hook shares. */
export const queryDefaults = { retry: shouldRetry } as const;

/** Builds `?a=1&b=2` from defined, non-empty values (empty string when none). */
export function searchParams(values: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
