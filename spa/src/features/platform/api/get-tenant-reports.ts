import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ReportPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { isActiveStatus } from '@/lib/report-status';
import { platformKeys } from './keys';

/** GET /api/platform/tenants/{schema}/reports/?page=N */
export function getTenantReports(schema: string, page: number, signal?: AbortSignal): Promise<ReportPage> {
  return api.get<ReportPage>(`/api/platform/tenants/${encodeURIComponent(schema)}/reports/`, { page }, signal);
}

export function tenantReportsQueryOptions(scope: string, schema: string, page: number) {
  return queryOptions({
    queryKey: platformKeys.tenantReports(scope, schema, page),
    queryFn: ({ signal }) => getTenantReports(schema, page, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.results.some((r) => isActiveStatus(r.status)) ? 2000 : false),
  });
}

export function useTenantReports(schema: string, page: number) {
  return useQuery(tenantReportsQueryOptions(useScope(), schema, page));
}
