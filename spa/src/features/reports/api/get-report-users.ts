import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { AuditPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/** GET /api/reports/{id}/users/?page=N — the audit list of one run. */
export function getReportUsers(id: number, page: number, signal?: AbortSignal): Promise<AuditPage> {
  return api.get<AuditPage>(`/api/reports/${id}/users/`, { page }, signal);
}

export function reportUsersQueryOptions(scope: string, id: number, page: number) {
  return queryOptions({
    queryKey: reportKeys.users(scope, id, page),
    queryFn: ({ signal }) => getReportUsers(id, page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useReportUsers(id: number, page: number, enabled = true) {
  return useQuery({ ...reportUsersQueryOptions(useScope(), id, page), enabled });
}
