/** The signed-in user's own data: their sessions. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { SessionList } from '../../../shared/contracts/auth.ts';
import { api } from '../../app/api.ts';
import { getParsed, queryDefaults } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export function useMySessions() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.sessions.mine,
    queryFn: () => getParsed(SessionList, '/api/v1/auth/sessions'),
  });
}

export function useEndSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/auth/sessions/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.sessions.mine }),
  });
}

/** After a password change the other sessions are gone. */
export function useRefreshSessions() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: keys.sessions.mine });
}
