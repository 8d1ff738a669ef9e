import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { WebhookEndpoint } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** GET /api/webhooks/{id}/ — 404 when it is not this tenant's (or was deleted). */
export function getEndpoint(id: number, signal?: AbortSignal): Promise<WebhookEndpoint> {
  return api.get<WebhookEndpoint>(`/api/webhooks/${id}/`, undefined, signal);
}

export function endpointQueryOptions(scope: string, id: number) {
  return queryOptions({
    queryKey: webhookKeys.detail(scope, id),
    queryFn: ({ signal }) => getEndpoint(id, signal),
  });
}

export function useEndpoint(id: number | null) {
  return useQuery({ ...endpointQueryOptions(useScope(), id ?? 0), enabled: id !== null });
}
