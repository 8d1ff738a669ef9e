import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ApiTokenPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { tokenKeys } from './keys';

/**
 * GET /api/tokens/?page=N — the caller's tokens (a tenant admin's list has the service
 * accounts' too), newest first, revoked and expired ones included. Never a secret.
 */
export function getTokens(page: number, signal?: AbortSignal): Promise<ApiTokenPage> {
  return api.get<ApiTokenPage>('/api/tokens/', { page }, signal);
}

export function tokensQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: tokenKeys.list(scope, page),
    queryFn: ({ signal }) => getTokens(page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useTokens(page: number) {
  return useQuery(tokensQueryOptions(useScope(), page));
}
