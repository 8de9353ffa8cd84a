/** Signing in, choosing a password and first-run setup: the mutations that change the session. */
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Me } from '../../shared/contracts/auth.ts';
import { type SetupBody, SetupResult, type SetupStatus } from '../../shared/contracts/setup.ts';
import { LoginResult, SecondFactorSignedIn } from '../../shared/contracts/two-factor.ts';
import { api, setCsrfToken } from './api.ts';
import { sendParsed } from './query.ts';
import { keys } from './query-keys.ts';

/** Remembers the signed-in user (and their CSRF token) the server answered with. */
function useSignedIn() {
  const queryClient = useQueryClient();
  return (me: Me) => {
    setCsrfToken(me.csrfToken);
    queryClient.setQueryData(keys.me, me);
  };
}

export function useLogin() {
  const signedIn = useSignedIn();
  return useMutation({
    meta: { silent: true },
    mutationFn: (v: { email: string; password: string }) => sendParsed(LoginResult, 'post', '/api/v1/auth/login', v),
    // A right password with a second step to come leaves the user signed out until it passes.
    onSuccess: (result) => {
      if (!('secondFactor' in result)) signedIn(result);
    },
  });
}

/**
 * The second step of signing in. While setting up, the answer carries the recovery codes: the
 * caller shows them before moving on, so the user is remembered only when they continue.
 */
export function useSecondFactor() {
  return useMutation({
    meta: { silent: true },
    mutationFn: (v: { challenge: string; code: string }) =>
      sendParsed(SecondFactorSignedIn, 'post', '/api/v1/auth/login/second-factor', v),
  });
}

/** Remembers a user signed in by the second step. */
export function useFinishSignIn() {
  return useSignedIn();
}

/** Changes the signed-in user's password; the server starts a new session and ends the others. */
export function useChangePassword() {
  const signedIn = useSignedIn();
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (v: { currentPassword: string; newPassword: string }) =>
      sendParsed(Me, 'post', '/api/v1/auth/password', v),
    onSuccess: (me) => {
      signedIn(me);
      void queryClient.invalidateQueries({ queryKey: keys.sessions.mine });
    },
  });
}

export function useSetup() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: SetupBody) => sendParsed(SetupResult, 'post', '/api/v1/setup', body),
    // Mark setup done in the cache first, so no page redirects back to setup.
    onSuccess: () =>
      queryClient.setQueryData<SetupStatus>(keys.setup, (old) => (old ? { ...old, needed: false } : old)),
  });
}

/** Signs out: the server ends the session; the app forgets the user and shows the sign-in page. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post('/api/v1/auth/logout'),
    onSuccess: () => {
      setCsrfToken(null);
      queryClient.setQueryData(keys.me, null);
      notifications.show({ message: 'You are signed out.' });
    },
  });
}
