/** The permissions page's data: a user's effective permissions, why, changes and pending approvals. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  BulkPermissionResult,
  Explanation,
  PermissionRequestList,
  RoleRequestList,
  SetPermissionResult,
  UserPermissions,
} from '../../../shared/contracts/permissions.ts';
import { api } from '../../app/api.ts';
import { getParsed, queryDefaults, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export type Effect = 'grant' | 'deny' | 'inherit';

export function useUserPermissions(userId: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.permissions.ofUser(userId),
    queryFn: () => getParsed(UserPermissions, `/api/v1/users/${userId}/permissions`),
  });
}

export function useExplanation(userId: string, permission: string, enabled: boolean) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.permissions.explain(userId, permission),
    queryFn: () => getParsed(Explanation, `/api/v1/users/${userId}/permissions/${permission}/explain`),
    enabled,
  });
}

/** Everything a change of someone's permissions may alter. */
function useInvalidatePermissions() {
  const queryClient = useQueryClient();
  return (userId?: string) => {
    void queryClient.invalidateQueries({ queryKey: keys.permissions.all });
    void queryClient.invalidateQueries({ queryKey: keys.permissions.requests });
    void queryClient.invalidateQueries({ queryKey: keys.users.all });
    if (userId) void queryClient.invalidateQueries({ queryKey: keys.me });
  };
}

/**
 * Saves a user's changed permissions one by one. Changes saved before a failure are kept, so the
 * user's permissions are refreshed either way.
 */
export function useSavePermissions(userId: string, isMe: boolean) {
  const invalidate = useInvalidatePermissions();
  return useMutation({
    meta: { silent: true },
    mutationFn: async (v: { changes: Map<string, Effect>; reason: string; until: string | null }) => {
      const results: SetPermissionResult[] = [];
      for (const [permission, effect] of v.changes) {
        results.push(
          await sendParsed(SetPermissionResult, 'put', `/api/v1/users/${userId}/permissions/${permission}`, {
            effect,
            reason: v.reason,
            ...(effect === 'grant' && v.until ? { expiresAt: v.until } : {}),
          }),
        );
      }
      return results;
    },
    onSettled: () => invalidate(isMe ? userId : undefined),
  });
}

export function useBulkPermissions() {
  const invalidate = useInvalidatePermissions();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { userIds: string[]; permission: string | null; effect: Effect; reason: string }) =>
      sendParsed(BulkPermissionResult, 'post', '/api/v1/permissions/bulk', body),
    onSuccess: () => invalidate(),
  });
}

export function usePermissionRequests() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.permissions.requests,
    queryFn: () => getParsed(PermissionRequestList, '/api/v1/permission-requests?status=pending'),
  });
}

export function useDecideRequest() {
  const invalidate = useInvalidatePermissions();
  return useMutation({
    mutationFn: ({ id, approve }: { id: string; approve: boolean }) =>
      api.post(`/api/v1/permission-requests/${id}/${approve ? 'approve' : 'reject'}`),
    onSuccess: () => invalidate(),
  });
}

export function useRoleRequests() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.permissions.roleRequests,
    queryFn: () => getParsed(RoleRequestList, '/api/v1/role-requests?status=pending'),
  });
}

/** Approves (applies, re-checked on the server) or rejects a waiting role change. */
export function useDecideRoleRequest() {
  const invalidate = useInvalidatePermissions();
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: ({ id, approve }: { id: string; approve: boolean }) =>
      api.post(`/api/v1/role-requests/${id}/${approve ? 'approve' : 'reject'}`),
    onSettled: () => {
      invalidate();
      void queryClient.invalidateQueries({ queryKey: keys.roles.all });
    },
  });
}
