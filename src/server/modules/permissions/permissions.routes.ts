import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Ok } from '../../../shared/contracts/auth.ts';
import {
  BulkPermissionBody,
  BulkPermissionResult,
  CreateRoleBody,
  Explanation,
  PermissionRequestList,
  Role,
  RoleChangePending,
  RoleList,
  RoleRequestList,
  SetPermissionBody,
  SetPermissionResult,
  UpdateRoleBody,
  UserPermissions,
} from '../../../shared/contracts/permissions.ts';
import { Id } from '../../../shared/contracts/users.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { scopeOf } from '../../http/scope.ts';
import type { PermissionsService } from './permissions.service.ts';

const UserParams = z.object({ id: Id });
const PermissionParams = z.object({ id: Id, permission: z.string().max(100) });
const RoleParams = z.object({ key: z.string().max(64) });

export async function permissionsRoutes(app: FastifyInstance, opts: { permissions: PermissionsService }) {
  const { permissions } = opts;
  const r = zod(app);
  const tags = ['permissions'];
  r.get(
    '/users/:id/permissions',
    {
      config: { permission: 'settings.permissions', resource: 'user' },
      schema: {
        tags,
        summary: 'Every catalog permission for one user, with its state and where it comes from',
        params: UserParams,
        response: responses({ 200: UserPermissions }, 404),
      },
    },
    async (request) => permissions.forUser(ctxOf(request), scopeOf(request, 'user'), request.params.id),
  );
  r.get(
    '/users/:id/permissions/:permission/explain',
    {
      config: { permission: 'settings.permissions', resource: 'user' },
      schema: {
        tags,
        summary: 'Why the user has (or lacks) one permission',
        params: PermissionParams,
        response: responses({ 200: Explanation }, 404),
      },
    },
    async (request) => {
      const e = await permissions.explain(
        ctxOf(request),
        scopeOf(request, 'user'),
        request.params.id,
        request.params.permission,
      );
      return { ...e, reasons: [...e.reasons] };
    },
  );
  r.put(
    '/users/:id/permissions/:permission',
    {
      config: { permission: 'users.manage_permissions', resource: 'user' },
      schema: {
        tags,
        summary: 'Grant, deny or inherit one permission for one user (applies on their next request)',
        params: PermissionParams,
        body: SetPermissionBody,
        response: responses({ 200: SetPermissionResult, 202: SetPermissionResult }, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const result = await permissions.set(
        ctxOf(request),
        scopeOf(request, 'user'),
        request.params.id,
        request.params.permission,
        request.body,
      );
      return reply.status(result.status === 'pending-approval' ? 202 : 200).send(result);
    },
  );
  r.post(
    '/permissions/bulk',
    {
      config: { permission: 'users.manage_permissions', resource: 'user' },
      schema: {
        tags,
        summary: 'Grant, deny or inherit one permission for many users at once (one transaction)',
        body: BulkPermissionBody,
        response: responses({ 200: BulkPermissionResult }, 404, 409, 422),
      },
    },
    async (request) => permissions.bulk(ctxOf(request), scopeOf(request, 'user'), request.body),
  );
  r.get(
    '/permission-requests',
    {
      config: { permission: 'users.manage_permissions', resource: 'permission_request' },
      schema: {
        tags,
        summary: 'Grants of critical permissions waiting for a second admin',
        querystring: z.object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending') }),
        response: responses({ 200: PermissionRequestList }),
      },
    },
    async (request) => ({ items: await permissions.requests(ctxOf(request), request.query.status) }),
  );
  for (const [verb, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    r.post(
      `/permission-requests/:id/${verb}`,
      {
        config: { permission: 'users.manage_permissions', resource: 'permission_request' },
        schema: {
          tags,
          summary: approve ? 'Approve (and apply) a pending critical grant' : 'Reject a pending critical grant',
          params: UserParams,
          response: responses({ 200: Ok }, 404, 409),
        },
      },
      async (request) => {
        await permissions.decide(ctxOf(request), request.params.id, approve);
        return { ok: true as const };
      },
    );
  }
  r.get(
    '/roles',
    {
      config: { permission: 'users.view', resource: 'role' },
      schema: {
        tags: ['roles'],
        summary: 'Roles with their entries and parents',
        response: responses({ 200: RoleList }),
      },
    },
    async (request) => ({ items: await permissions.listRoles(ctxOf(request)) }),
  );
  r.post(
    '/roles',
    {
      config: { permission: 'users.manage_permissions', resource: 'role' },
      schema: {
        tags: ['roles'],
        summary: 'Create a custom role, optionally copied from another',
        body: CreateRoleBody,
        response: responses({ 201: Role, 202: RoleChangePending }, 409, 422),
      },
    },
    async (request, reply) => {
      const result = await permissions.createRole(ctxOf(request), request.body);
      return 'requestId' in result ? reply.status(202).send(result) : reply.status(201).send(result);
    },
  );
  r.put(
    '/roles/:key',
    {
      config: { permission: 'users.manage_permissions', resource: 'role' },
      schema: {
        tags: ['roles'],
        summary: 'Replace a role’s name, parents and entries',
        params: RoleParams,
        body: UpdateRoleBody,
        response: responses({ 200: Role, 202: RoleChangePending }, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const result = await permissions.updateRole(ctxOf(request), request.params.key, request.body);
      return 'requestId' in result ? reply.status(202).send(result) : reply.status(200).send(result);
    },
  );
  r.get(
    '/role-requests',
    {
      config: { permission: 'users.manage_permissions', resource: 'role_request' },
      schema: {
        tags: ['roles'],
        summary: 'Role changes (create, edit, assign) that add a critical permission, waiting for a second admin',
        querystring: z.object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending') }),
        response: responses({ 200: RoleRequestList }),
      },
    },
    async (request) => ({ items: await permissions.roleRequests(ctxOf(request), request.query.status) }),
  );
  for (const [verb, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    r.post(
      `/role-requests/:id/${verb}`,
      {
        config: { permission: 'users.manage_permissions', resource: 'role_request' },
        schema: {
          tags: ['roles'],
          summary: approve ? 'Approve (and apply, re-checked) a waiting role change' : 'Reject a waiting role change',
          params: UserParams,
          response: responses({ 200: Ok }, 403, 404, 409, 422),
        },
      },
      async (request) => {
        await permissions.decideRole(ctxOf(request), request.params.id, approve);
        return { ok: true as const };
      },
    );
  }
  r.delete(
    '/roles/:key',
    {
      config: { permission: 'users.manage_permissions', resource: 'role' },
      schema: {
        tags: ['roles'],
        summary: 'Remove a custom role nobody has',
        params: RoleParams,
        response: responses({ 200: Ok }, 404, 409),
      },
    },
    async (request) => {
      await permissions.deleteRole(ctxOf(request), request.params.key);
      return { ok: true as const };
    },
  );
}
