import type { FastifyInstance } from 'fastify';
import { LoginBody, Me, Ok } from '../../../shared/contracts/auth.ts';
import { actorOf } from '../../http/guard.ts';
import { contextOf, responses, zod } from '../../http/route.ts';
import { type AuthService, SESSION_COOKIE } from './auth.service.ts';

export async function authRoutes(app: FastifyInstance, opts: { auth: AuthService }): Promise<void> {
  const { auth } = opts;
  zod(app).post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the session cookie and returns the user with a CSRF token',
        body: LoginBody,
        response: responses({ 200: Me }, 429),
      },
    },
    async (request, reply) => {
      const { token, maxAgeSeconds, me } = await auth.login(
        request.body.email,
        request.body.password,
        contextOf(request),
      );
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: maxAgeSeconds,
      });
      return me;
    },
  );
  zod(app).post(
    '/auth/logout',
    {
      config: { authenticated: true },
      schema: { tags: ['auth'], summary: 'Sign out this session', response: responses({ 200: Ok }) },
    },
    async (request, reply) => {
      await auth.logout(actorOf(request), contextOf(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );
  zod(app).get(
    '/me',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, business, modules and permissions',
        response: responses({ 200: Me }),
      },
    },
    async (request) => auth.me(actorOf(request)),
  );
}
