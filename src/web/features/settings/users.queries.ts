/** Users' and roles' data: queries and mutations, typed by the shared contracts. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { Role, RoleChangePending, RoleList } from '../../../shared/contracts/permissions.ts';
import { User, UserList, UserWithPassword } from '../../../shared/contracts/users.ts';
import { api } from '../../app/api.ts';
import { getParsed, queryDefaults, searchParams, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export type UserStatus = 'all' | 'active' | 'inactive';

export function useUsers(q: string, status: UserStatus, enabled = true) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.users.list(q, status),
    queryFn: () => getParsed(UserList, `/api/v1/users${searchParams({ status, q })}`),
    enabled,
  });
}

export function useRoles(enabled = true) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.roles.all,
    queryFn: () => getParsed(RoleList, '/api/v1/roles'),
    enabled,
  });
}

export type UserAction = 'deactivate' | 'reactivate' | 'reset' | 'signout' | 'two-factor';

/** Deactivates, reactivates, resets the password of (resolving the temporary password) or signs out a user. */
export function useUserAction() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: async ({ kind, userId, reason }: { kind: UserAction; userId: string; reason: string }) => {
      const base = `/api/v1/users/${userId}`;
      if (kind === 'deactivate' || kind === 'reactivate')
        await api.post(`${base}/${kind}`, { reason: reason || undefined });
      else if (kind === 'signout') await api.delete(`${base}/sessions`);
      else if (kind === 'two-factor') await api.post(`${base}/two-factor/reset`, {});
      else return (await api.post<{ temporaryPassword: string }>(`${base}/reset-password`, {})).temporaryPassword;
      return null;
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.users.all }),
  });
}

/**
 * What the user dialog sends. No artist link: there are no artist profiles to pick yet (the staff
 * module has none), so the dialog neither shows nor sends one and a user keeps any link they have.
 */
export type UserValues = { name: string; email: string; roleKey: string; temporaryPassword: string };

/** Adds a user (resolving their temporary password) or saves one's name, email, artist and role. */
export function useSaveUser(user: User | undefined) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: async (
      v: UserValues,
    ): Promise<{ user: User; temporaryPassword: string; pending?: RoleChangePending }> => {
      if (!user) {
        return sendParsed(UserWithPassword, 'post', '/api/v1/users', {
          name: v.name,
          email: v.email,
          roleKey: v.roleKey,
          ...(v.temporaryPassword ? { temporaryPassword: v.temporaryPassword } : {}),
        });
      }
      let saved = await sendParsed(User, 'patch', `/api/v1/users/${user.id}`, {
        name: v.name,
        email: v.email,
      });
      if (v.roleKey !== user.role.key) {
        // A role that adds a critical permission may wait for a second admin (202).
        const r = await sendParsed(z.union([RoleChangePending, User]), 'put', `/api/v1/users/${user.id}/role`, {
          roleKey: v.roleKey,
        });
        if ('requestId' in r) {
          void queryClient.invalidateQueries({ queryKey: keys.permissions.requests });
          return { user: saved, temporaryPassword: '', pending: r };
        }
        saved = r;
      }
      return { user: saved, temporaryPassword: '' };
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.users.all }),
  });
}

export function useCreateRole() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { key: string; name: string; copyFrom?: string }) =>
      sendParsed(z.union([RoleChangePending, Role]), 'post', '/api/v1/roles', body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.roles.all });
      void queryClient.invalidateQueries({ queryKey: keys.permissions.requests });
    },
  });
}

/** Saves a role; everyone holding it (maybe the signed-in user) has new rights at once. */
export function useSaveRole(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { name: string; description: string; inherits: string[]; entries: Record<string, string> }) =>
      sendParsed(z.union([RoleChangePending, Role]), 'put', `/api/v1/roles/${key}`, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.roles.all });
      void queryClient.invalidateQueries({ queryKey: keys.permissions.requests });
      void queryClient.invalidateQueries({ queryKey: keys.permissions.all });
      void queryClient.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useDeleteRole(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: () => api.delete(`/api/v1/roles/${key}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.roles.all }),
  });
}
