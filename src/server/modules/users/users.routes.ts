import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Ok, SessionList } from '../../../shared/contracts/auth.ts';
import { RoleChangePending } from '../../../shared/contracts/permissions.ts';
import {
  ChangeRoleBody,
  CreateUserBody,
  DeactivateBody,
  Id,
  ResetPasswordBody,
  UpdateUserBody,
  User,
  UserList,
  UserListQuery,
  UserWithPassword,
} from '../../../shared/contracts/users.ts';
import { actorOf } from '../../http/guard.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { scopeOf } from '../../http/scope.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { UsersService } from './users.service.ts';

const Params = z.object({ id: Id });

export async function usersRoutes(app: FastifyInstance, opts: { users: UsersService; auth: AuthService }) {
  const { users, auth } = opts;
  const r = zod(app);
  const tags = ['users'];
  r.get(
    '/users',
    {
      config: { permission: 'users.view', resource: 'user' },
      schema: { tags, summary: 'List users', querystring: UserListQuery, response: responses({ 200: UserList }) },
    },
    async (request) => ({ items: await users.list(ctxOf(request), scopeOf(request, 'user'), request.query) }),
  );
  r.post(
    '/users',
    {
      config: { permission: 'users.add', resource: 'user' },
      schema: {
        tags,
        summary: 'Create a user with a temporary password (returned once)',
        body: CreateUserBody,
        response: responses({ 201: UserWithPassword }, 422),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await users.create(ctxOf(request), scopeOf(request, 'user'), request.body)),
  );
  r.get(
    '/users/:id',
    {
      config: { permission: 'users.view', resource: 'user' },
      schema: { tags, summary: 'One user', params: Params, response: responses({ 200: User }, 404) },
    },
    async (request) => users.get(ctxOf(request), scopeOf(request, 'user'), request.params.id),
  );
  r.patch(
    '/users/:id',
    {
      config: { permission: 'users.edit', resource: 'user' },
      schema: {
        tags,
        summary: 'Change name, email or artist link (role and status have their own operations)',
        params: Params,
        body: UpdateUserBody,
        response: responses({ 200: User }, 404, 422),
      },
    },
    async (request) => users.update(ctxOf(request), scopeOf(request, 'user'), request.params.id, request.body),
  );
  r.put(
    '/users/:id/role',
    {
      config: { permission: 'users.edit', resource: 'user' },
      schema: {
        tags,
        summary: 'Change the user’s role (only to roles whose permissions you hold)',
        params: Params,
        body: ChangeRoleBody,
        response: responses({ 200: User, 202: RoleChangePending }, 403, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const result = await users.changeRole(
        ctxOf(request),
        scopeOf(request, 'user'),
        request.params.id,
        request.body.roleKey,
        request.body.reason,
      );
      return 'requestId' in result ? reply.status(202).send(result) : reply.status(200).send(result);
    },
  );
  r.post(
    '/users/:id/deactivate',
    {
      config: { permission: 'users.delete', resource: 'user' },
      schema: {
        tags,
        summary: 'Deactivate: sessions and API keys stop at once; the account and its history stay',
        params: Params,
        body: DeactivateBody,
        response: responses({ 200: User }, 404, 409),
      },
    },
    async (request) =>
      users.deactivate(ctxOf(request), scopeOf(request, 'user'), request.params.id, request.body.reason),
  );
  r.post(
    '/users/:id/reactivate',
    {
      config: { permission: 'users.delete', resource: 'user' },
      schema: {
        tags,
        summary: 'Reactivate a deactivated user',
        params: Params,
        body: DeactivateBody,
        response: responses({ 200: User }, 404, 409),
      },
    },
    async (request) =>
      users.reactivate(ctxOf(request), scopeOf(request, 'user'), request.params.id, request.body.reason),
  );
  r.post(
    '/users/:id/reset-password',
    {
      config: { permission: 'users.reset_password', resource: 'user' },
      schema: {
        tags,
        summary: 'Set a temporary password (returned once); ends the user’s sessions and unlocks the account',
        params: Params,
        body: ResetPasswordBody,
        response: responses({ 200: UserWithPassword }, 404, 409, 422),
      },
    },
    async (request) =>
      users.resetPassword(ctxOf(request), scopeOf(request, 'user'), request.params.id, request.body.temporaryPassword),
  );
  r.get(
    '/users/:id/sessions',
    {
      config: { permission: 'users.edit', resource: 'user' },
      schema: {
        tags,
        summary: 'The user’s open sessions',
        params: Params,
        response: responses({ 200: SessionList }, 404),
      },
    },
    async (request) => ({
      items: await auth.sessions(
        ctxOf(request),
        scopeOf(request, 'user'),
        request.params.id,
        actorOf(request).session?.handle ?? null,
      ),
    }),
  );
  r.delete(
    '/users/:id/sessions',
    {
      config: { permission: 'users.edit', resource: 'user' },
      schema: {
        tags,
        summary: 'End every session of the user',
        params: Params,
        response: responses({ 200: z.object({ ended: z.number().int() }) }, 404),
      },
    },
    async (request) => ({
      ended: await users.endSessions(ctxOf(request), scopeOf(request, 'user'), request.params.id),
    }),
  );
  r.delete(
    '/users/:id/sessions/:sessionId',
    {
      config: { permission: 'users.edit', resource: 'user' },
      schema: {
        tags,
        summary: 'End one session of the user',
        params: z.object({ id: Id, sessionId: z.string().max(64) }),
        response: responses({ 200: Ok }, 404),
      },
    },
    async (request) => {
      await auth.endSessionByHandle(
        ctxOf(request),
        scopeOf(request, 'user'),
        request.params.id,
        request.params.sessionId,
      );
      return { ok: true as const };
    },
  );
}
