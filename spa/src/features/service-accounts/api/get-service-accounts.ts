import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ServiceAccountPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { serviceAccountKeys } from './keys';

/** GET /api/service-accounts/?page=N — tenant admins only, by username. */
export function getServiceAccounts(page: number, signal?: AbortSignal): Promise<ServiceAccountPage> {
  return api.get<ServiceAccountPage>('/api/service-accounts/', { page }, signal);
}

export function serviceAccountsQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: serviceAccountKeys.list(scope, page),
    queryFn: ({ signal }) => getServiceAccounts(page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useServiceAccounts(page: number) {
  return useQuery(serviceAccountsQueryOptions(useScope(), page));
}
