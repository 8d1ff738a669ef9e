import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { DeliveryAccepted } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/**
 * POST /api/webhooks/{id}/deliveries/{delivery_id}/replay/ → 202: the same event (same
 * `webhook-id`) again, as a new delivery with a fresh retry schedule; 409 when disabled.
 */
export function replayDelivery({ endpointId, deliveryId }: { endpointId: number; deliveryId: number }): Promise<DeliveryAccepted> {
  return api.post<DeliveryAccepted>(`/api/webhooks/${endpointId}/deliveries/${deliveryId}/replay/`);
}

export function useReplayDelivery() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: replayDelivery,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) }),
  });
}
