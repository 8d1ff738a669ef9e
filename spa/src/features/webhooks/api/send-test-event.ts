import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { DeliveryAccepted } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** POST /api/webhooks/{id}/test/ → 202 `{delivery_id, event_id}`: a `test` event queued; 409 when the endpoint is disabled. */
export function sendTestEvent(id: number): Promise<DeliveryAccepted> {
  return api.post<DeliveryAccepted>(`/api/webhooks/${id}/test/`);
}

export function useSendTestEvent() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: sendTestEvent,
    // The new delivery is in the log, pending: the list refetches and then polls (get-deliveries).
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) }),
  });
}
