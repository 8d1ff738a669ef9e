import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { TenantPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';

/** GET /api/platform/tenants/?page=N — each tenant with its schedule and last run. */
export function getTenants(page: number, signal?: AbortSignal): Promise<TenantPage> {
  return api.get<TenantPage>('/api/platform/tenants/', { page }, signal);
}

export function tenantsQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: platformKeys.tenantPage(scope, page),
    queryFn: ({ signal }) => getTenants(page, signal),
    placeholderData: keepPreviousData,
    // Last-run columns change while runs progress.
    refetchInterval: 15_000,
  });
}

export function useTenants(page: number) {
  return useQuery(tenantsQueryOptions(useScope(), page));
}
