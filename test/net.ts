import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Makes `app` listen on a free port of 127.0.0.1, for real parallel HTTP requests; returns its base URL. */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** The headers a signed-in browser sends (cookie and CSRF token), and its address when `ip` is given. */
export function sessionHeaders(s: { cookie: string; csrfToken: string }, ip?: string): Record<string, string> {
  return { cookie: s.cookie, 'x-csrf-token': s.csrfToken, ...(ip === undefined ? {} : { 'x-forwarded-for': ip }) };
}

/** One real HTTP request with an optional JSON body, answered with its status and JSON body. */
export async function send<B = Record<string, unknown>>(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: B }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as B };
}

/** A real POST with a JSON body. */
export const post = <B = Record<string, unknown>>(
  base: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) => send<B>(base, 'POST', url, body, headers);

/** Signs in over real HTTP (the login route): the cookie and CSRF token `sessionHeaders` sends. */
export async function signInOver(
  base: string,
  email: string,
  password: string,
): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return { cookie, csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken };
}
