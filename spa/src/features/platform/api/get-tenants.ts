import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { TenantPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';
import type { TenantListParams } from './tenant-list-params';

/** GET /api/platform/tenants/?page=N&search=&status=&ordering= — each tenant with its schedule and last run. */
export function getTenants(params: TenantListParams, signal?: AbortSignal): Promise<TenantPage> {
  const { page, search, status, ordering } = params;
  return api.get<TenantPage>(
    '/api/platform/tenants/',
    { page, search: search || undefined, status: status || undefined, ordering: ordering || undefined },
    signal,
  );
}

export function tenantsQueryOptions(scope: string, params: TenantListParams) {
  return queryOptions({
    queryKey: platformKeys.tenantPage(scope, params),
    queryFn: ({ signal }) => getTenants(params, signal),
    placeholderData: keepPreviousData,
    // Last-run columns change while runs progress.
    refetchInterval: 15_000,
  });
}

export function useTenants(params: TenantListParams) {
  return useQuery(tenantsQueryOptions(useScope(), params));
}
