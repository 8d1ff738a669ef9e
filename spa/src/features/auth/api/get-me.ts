import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Me } from '@/lib/api/types';
import { useScope } from '@/lib/host';

/** GET /api/me/ — who is logged in, and whether they are an operator or a tenant admin. */
export function getMe(signal?: AbortSignal): Promise<Me> {
  return api.get<Me>('/api/me/', undefined, signal);
}

export function meQueryOptions(scope: string) {
  return queryOptions({
    queryKey: [scope, 'me'] as const,
    queryFn: ({ signal }) => getMe(signal),
    staleTime: 5 * 60_000,
  });
}

export function useMe(enabled = true) {
  return useQuery({ ...meQueryOptions(useScope()), enabled });
}
