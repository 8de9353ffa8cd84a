/** The audit log's data, typed by the shared contracts. */
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { AuditPage, VerifyResult } from '../../../shared/contracts/audit.ts';
import { getParsed, queryDefaults } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

/** Audit events matching the filter, newest first, 50 at a time. */
export function useAuditEvents(filter: URLSearchParams) {
  return useInfiniteQuery({
    ...queryDefaults,
    queryKey: keys.audit.list(filter.toString()),
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) => {
      const q = new URLSearchParams(filter);
      q.set('limit', '50');
      if (pageParam) q.set('before', String(pageParam));
      return getParsed(AuditPage, `/api/v1/audit?${q}`);
    },
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useVerifyAudit() {
  return useMutation({ mutationFn: () => getParsed(VerifyResult, '/api/v1/audit/verify') });
}
