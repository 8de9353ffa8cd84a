import { useQuery } from '@tanstack/react-query';
import { isModuleOn, isPermissionOn } from '../../shared/business-modules.ts';
import { Me } from '../../shared/contracts/auth.ts';
import { SetupStatus } from '../../shared/contracts/setup.ts';
import type { Permission } from '../../shared/permissions/catalog.ts';
import { ApiError, setCsrfToken } from './api.ts';
import { getParsed, queryDefaults } from './query.ts';
import { keys } from './query-keys.ts';

/** The signed-in user, or null when nobody is signed in. */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await getParsed(Me, '/api/v1/me');
        setCsrfToken(me.csrfToken);
        return me;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    retry: false,
    staleTime: 30_000,
  });
}

export function useSetupStatus() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.setup,
    queryFn: () => getParsed(SetupStatus, '/api/v1/setup'),
    staleTime: 60_000,
  });
}

/**
 * True when the user may use the permission on at least some records (or with the master code),
 * and its business module is switched on: the server refuses a switched-off module's routes, so
 * the web app offers none of them.
 */
export function hasPermission(me: Me, permission: Permission): boolean {
  if (!isPermissionOn(permission, me.business.modules)) return false;
  const p = me.permissions.find((x) => x.permission === permission);
  return p !== undefined && p.access !== 'none';
}

/** True when the business module `key` (templates MODULES) is switched on. */
export function hasModule(me: Me, key: string): boolean {
  return isModuleOn(key, me.business.modules);
}

/** Set when the server ended the session under the user's feet; the sign-in page says so once. */
let sessionEnded = false;
export function markSessionEnded(): void {
  sessionEnded = true;
}
export function takeSessionEnded(): boolean {
  const was = sessionEnded;
  sessionEnded = false;
  return was;
}
