import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ExemptionPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { exemptionKeys } from './keys';

/** GET /api/exemptions/?page=N — newest first; each says whether it has expired. */
export function getExemptions(page: number, signal?: AbortSignal): Promise<ExemptionPage> {
  return api.get<ExemptionPage>('/api/exemptions/', { page }, signal);
}

export function exemptionsQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: exemptionKeys.list(scope, page),
    queryFn: ({ signal }) => getExemptions(page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useExemptions(page: number) {
  return useQuery(exemptionsQueryOptions(useScope(), page));
}
