import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { WebhookEndpoint, WebhookEndpointChange } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/**
 * PATCH /api/webhooks/{id}/ → 200; `enabled: true` also enables an endpoint the server
 * disabled for failing (and clears its failure streak). 400 by field, as on create.
 */
export function updateEndpoint({ id, change }: { id: number; change: WebhookEndpointChange }): Promise<WebhookEndpoint> {
  return api.patch<WebhookEndpoint>(`/api/webhooks/${id}/`, change);
}

export function useUpdateEndpoint() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateEndpoint,
    onSuccess: (endpoint) => {
      queryClient.setQueryData(webhookKeys.detail(scope, endpoint.id), endpoint);
      return queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) });
    },
  });
}
