/** The dashboard's own data: the free disk space admins are warned about. */
import { useQuery } from '@tanstack/react-query';
import { DiskReport } from '../../../shared/contracts/health.ts';
import { getParsed, queryDefaults } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

/** Free space under the data directory; only asked for by those who may read it (settings.edit). */
export function useDiskReport(enabled: boolean) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.system.disk,
    queryFn: () => getParsed(DiskReport, '/api/v1/system/disk'),
    enabled,
    staleTime: 60_000,
    refetchInterval: 5 * 60_000,
  });
}

/** Bytes as a person reads them: "312 MB", "4.2 GB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit >= 3 && value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
