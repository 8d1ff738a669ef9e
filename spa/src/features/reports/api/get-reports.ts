import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ReportPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/** GET /api/reports/?page=N — newest first. */
export function getReports(page: number, signal?: AbortSignal): Promise<ReportPage> {
  return api.get<ReportPage>('/api/reports/', { page }, signal);
}

export function reportsQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: reportKeys.list(scope, page),
    queryFn: ({ signal }) => getReports(page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useReports(page: number) {
  return useQuery(reportsQueryOptions(useScope(), page));
}
