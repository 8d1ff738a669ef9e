import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { ApiError } from '@/lib/api/errors';
import type { Report } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportPollInterval } from '@/lib/report-status';
import { reportKeys } from './keys';

/** GET /api/reports/latest/ — the newest run, or null when none has run yet (404). */
export async function getLatestReport(signal?: AbortSignal): Promise<Report | null> {
  try {
    return await api.get<Report>('/api/reports/latest/', undefined, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function latestReportQueryOptions(scope: string) {
  return queryOptions({
    queryKey: reportKeys.latest(scope),
    queryFn: ({ signal }) => getLatestReport(signal),
    // Fast while a run is in flight; otherwise slow, to notice scheduled runs starting.
    refetchInterval: (query) => reportPollInterval(query.state.data?.status, 2000) || 30_000,
  });
}

export function useLatestReport() {
  return useQuery(latestReportQueryOptions(useScope()));
}
