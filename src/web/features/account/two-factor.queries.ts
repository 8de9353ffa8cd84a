/** The signed-in user's two-step sign-in, and an admin's reset of someone else's. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Ok } from '../../../shared/contracts/auth.ts';
import { RecoveryCodes, TwoFactorEnrolment, TwoFactorStatus } from '../../../shared/contracts/two-factor.ts';
import { getParsed, queryDefaults, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export function useTwoFactorStatus() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.twoFactor.mine,
    queryFn: () => getParsed(TwoFactorStatus, '/api/v1/auth/two-factor'),
  });
}

export function useStartTwoFactor() {
  return useMutation({
    meta: { silent: true },
    mutationFn: () => sendParsed(TwoFactorEnrolment, 'post', '/api/v1/auth/two-factor/setup', {}),
  });
}

/** A change to one's own second step, proven by a code (or, to turn it on, the new app's first code). */
function useOwnChange<T>(send: (code: string) => Promise<T>) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: send,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.twoFactor.mine }),
  });
}

const url = (path: string) => `/api/v1/auth/two-factor/${path}`;

export const useConfirmTwoFactor = () =>
  useOwnChange((code) => sendParsed(RecoveryCodes, 'post', url('confirm'), { code }));
export const useRenewRecoveryCodes = () =>
  useOwnChange((code) => sendParsed(RecoveryCodes, 'post', url('recovery-codes'), { code }));
export const useDisableTwoFactor = () => useOwnChange((code) => sendParsed(Ok, 'post', url('disable'), { code }));

/** An admin resets another user's second step (a lost phone). */
export function useResetTwoFactor() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => sendParsed(Ok, 'post', `/api/v1/users/${userId}/two-factor/reset`, {}),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.users.all }),
  });
}
