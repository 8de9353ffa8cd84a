import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { BusinessModuleList } from '../../../shared/contracts/modules.ts';
import { getParsed, queryDefaults, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export function useBusinessModules() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.settings.modules,
    queryFn: () => getParsed(BusinessModuleList, '/api/v1/settings/modules'),
  });
}

/** Switches one module; the sidebar, settings tabs and permission lists follow (they read `me`). */
export function useSwitchModule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ key, on }: { key: string; on: boolean }) =>
      sendParsed(BusinessModuleList, 'put', `/api/v1/settings/modules/${encodeURIComponent(key)}`, { on }),
    onSuccess: (list) => {
      queryClient.setQueryData(keys.settings.modules, list);
      void queryClient.invalidateQueries({ queryKey: keys.me });
    },
  });
}
