import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { api } from '@/lib/api/client';
import type { Report } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { isActiveStatus, reportPollInterval } from '@/lib/report-status';
import { reportKeys } from './keys';

/** GET /api/reports/{id}/ */
export function getReport(id: number, signal?: AbortSignal): Promise<Report> {
  return api.get<Report>(`/api/reports/${id}/`, undefined, signal);
}

export const RUN_POLL_INTERVAL_MS = 1000;

export function reportQueryOptions(scope: string, id: number) {
  return queryOptions({
    queryKey: reportKeys.detail(scope, id),
    queryFn: ({ signal }) => getReport(id, signal),
    // A queued or running report is polled every second for the progress bar.
    refetchInterval: (query) => reportPollInterval(query.state.data?.status, RUN_POLL_INTERVAL_MS),
    refetchIntervalInBackground: true,
  });
}

/**
 * A report, polled while it is active. When it finishes, every report list and
 * the latest-run card are refreshed so the whole page agrees.
 */
export function useReport(id: number | null) {
  const scope = useScope();
  const queryClient = useQueryClient();
  const query = useQuery({ ...reportQueryOptions(scope, id ?? 0), enabled: id !== null });
  const status = query.data?.status;
  const wasActive = useRef(false);
  useEffect(() => {
    if (isActiveStatus(status)) {
      wasActive.current = true;
    } else if (status && wasActive.current) {
      wasActive.current = false;
      void queryClient.invalidateQueries({ queryKey: reportKeys.all(scope), predicate: (q) => q.queryKey[2] !== 'detail' });
    }
  }, [status, scope, queryClient]);
  return query;
}
