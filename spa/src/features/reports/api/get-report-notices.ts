import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { NoticePage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/** GET /api/reports/{id}/notices/?page=N — who one run warned by email. */
export function getReportNotices(id: number, page: number, signal?: AbortSignal): Promise<NoticePage> {
  return api.get<NoticePage>(`/api/reports/${id}/notices/`, { page }, signal);
}

export function reportNoticesQueryOptions(scope: string, id: number, page: number) {
  return queryOptions({
    queryKey: reportKeys.notices(scope, id, page),
    queryFn: ({ signal }) => getReportNotices(id, page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useReportNotices(id: number, page: number) {
  return useQuery(reportNoticesQueryOptions(useScope(), id, page));
}
