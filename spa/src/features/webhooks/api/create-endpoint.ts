import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { WebhookEndpointCreated, WebhookEndpointInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/**
 * POST /api/webhooks/ → 201 with the endpoint and its `secret`, which no later answer
 * repeats; 400 with `{url | events | description: [messages]}` (a refused address on `url`).
 */
export function createEndpoint(input: WebhookEndpointInput): Promise<WebhookEndpointCreated> {
  return api.post<WebhookEndpointCreated>('/api/webhooks/', input);
}

export function useCreateEndpoint() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createEndpoint,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) }),
  });
}
