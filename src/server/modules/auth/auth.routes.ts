import { stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChangePasswordBody, ElevationStatus, LoginBody, Me, Ok, SessionList } from '../../../shared/contracts/auth.ts';
import { ElevateBody } from '../../../shared/contracts/security.ts';
import { LoginResult, SecondFactorBody, SecondFactorSignedIn } from '../../../shared/contracts/two-factor.ts';
import { ForbiddenError } from '../../http/errors.ts';
import { anonCtxOf, ctxOf, responses, zod } from '../../http/route.ts';
import { selfScope } from '../../http/scope.ts';
import { type AuthService, SESSION_COOKIE, type SessionResult } from './auth.service.ts';

/**
 * Sets the cookie of a new session and answers with the user's profile. Written here with the
 * `cookie` package rather than a Fastify plugin: the plugin's onSend hook ran on every answer,
 * /healthz's included, for the two routes that set a cookie.
 */
function startSession(request: FastifyRequest, reply: FastifyReply, result: SessionResult) {
  reply.header(
    'set-cookie',
    stringifySetCookie({
      name: SESSION_COOKIE,
      value: result.token,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: result.maxAgeSeconds,
    }),
  );
  return result.me;
}

/** Ends the session cookie in the browser. */
function clearSessionCookie(reply: FastifyReply) {
  reply.header(
    'set-cookie',
    stringifySetCookie({
      name: SESSION_COOKIE,
      value: '',
      path: '/',
      sameSite: 'lax',
      expires: new Date(0),
      maxAge: 0,
    }),
  );
}

/**
 * The context of a request made from a signed-in session: one's own sessions (their addresses, and
 * ending them) are not for an API key, which carries only the permissions it was given.
 */
function sessionCtxOf(request: FastifyRequest) {
  const ctx = ctxOf(request);
  if (!ctx.actor.session)
    throw new ForbiddenError('See and end your sessions from a signed-in session, not with an API key.');
  return ctx;
}

export async function authRoutes(app: FastifyInstance, opts: { auth: AuthService }): Promise<void> {
  const { auth } = opts;
  const r = zod(app);
  r.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the session cookie and returns the user with a CSRF token',
        description:
          'Answers the signed-in user, or — for an account with two-step sign-in — `secondFactor`: send its ' +
          '`challenge` with a code to `/auth/login/second-factor` to finish.',
        body: LoginBody,
        response: responses({ 200: LoginResult }, 429),
      },
    },
    async (request, reply) => {
      const result = await auth.login(anonCtxOf(request), request.body.email, request.body.password);
      return 'secondFactor' in result ? result : startSession(request, reply, result);
    },
  );
  r.post(
    '/auth/login/second-factor',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Finish signing in with a code from the authenticator app or a recovery code',
        body: SecondFactorBody,
        response: responses({ 200: SecondFactorSignedIn }, 429),
      },
    },
    async (request, reply) => {
      const result = await auth.loginSecondFactor(anonCtxOf(request), request.body.challenge, request.body.code);
      return { ...startSession(request, reply, result), recoveryCodes: result.recoveryCodes };
    },
  );
  r.post(
    '/auth/logout',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign out this session (ends its elevation too)',
        response: responses({ 200: Ok }),
      },
    },
    async (request, reply) => {
      await auth.logout(ctxOf(request));
      clearSessionCookie(reply);
      return { ok: true as const };
    },
  );
  r.get(
    '/me',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, business, modules and permissions',
        response: responses({ 200: Me }),
      },
    },
    async (request) => auth.me(ctxOf(request)),
  );
  r.post(
    '/auth/elevate',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'Enter the master code: elevates this session (under a new session id) for the configured minutes',
        body: ElevateBody,
        response: responses({ 200: Me }, 409, 422, 429),
      },
    },
    async (request, reply) => startSession(request, reply, await auth.elevate(ctxOf(request), request.body.code)),
  );
  r.delete(
    '/auth/elevate',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'End this session’s elevation now',
        response: responses({ 200: ElevationStatus }),
      },
    },
    async (request) => {
      await auth.endElevation(ctxOf(request));
      return { elevatedUntil: null };
    },
  );
  r.post(
    '/auth/password',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'Change your password; every other session of yours ends',
        body: ChangePasswordBody,
        response: responses({ 200: Me }, 422),
      },
    },
    async (request, reply) =>
      startSession(
        request,
        reply,
        await auth.changePassword(ctxOf(request), request.body.currentPassword, request.body.newPassword),
      ),
  );
  r.get(
    '/auth/sessions',
    {
      config: { authenticated: true },
      schema: { tags: ['auth'], summary: 'Your open sessions', response: responses({ 200: SessionList }) },
    },
    async (request) => {
      const ctx = sessionCtxOf(request);
      const { actor } = ctx;
      const self = selfScope('user', actor.subject.ownerIds);
      return { items: await auth.sessions(ctx, self, actor.user.id, actor.session?.handle ?? null) };
    },
  );
  r.delete(
    '/auth/sessions/:sessionId',
    {
      config: { authenticated: true },
      schema: {
        tags: ['auth'],
        summary: 'End one of your sessions',
        params: z.object({ sessionId: z.string().max(64) }),
        response: responses({ 200: Ok }, 404),
      },
    },
    async (request) => {
      const ctx = sessionCtxOf(request);
      const self = selfScope('user', ctx.actor.subject.ownerIds);
      await auth.endSessionByHandle(ctx, self, ctx.actor.user.id, request.params.sessionId);
      return { ok: true as const };
    },
  );
}
