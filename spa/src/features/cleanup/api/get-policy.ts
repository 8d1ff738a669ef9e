import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Policy } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { cleanupKeys } from './keys';

/** GET /api/cleanup/policy/ */
export function getPolicy(signal?: AbortSignal): Promise<Policy> {
  return api.get<Policy>('/api/cleanup/policy/', undefined, signal);
}

export function policyQueryOptions(scope: string) {
  return queryOptions({
    queryKey: cleanupKeys.policy(scope),
    queryFn: ({ signal }) => getPolicy(signal),
  });
}

export function usePolicy() {
  return useQuery(policyQueryOptions(useScope()));
}
