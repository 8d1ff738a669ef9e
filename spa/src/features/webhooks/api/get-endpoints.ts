import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { WebhookEndpointPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** GET /api/webhooks/?page=N — the tenant's endpoints (never their secrets). */
export function getEndpoints(page: number, signal?: AbortSignal): Promise<WebhookEndpointPage> {
  return api.get<WebhookEndpointPage>('/api/webhooks/', { page }, signal);
}

export function endpointsQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: webhookKeys.list(scope, page),
    queryFn: ({ signal }) => getEndpoints(page, signal),
    placeholderData: keepPreviousData,
  });
}

export function useEndpoints(page: number) {
  return useQuery(endpointsQueryOptions(useScope(), page));
}
