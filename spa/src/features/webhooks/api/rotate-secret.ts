import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { WebhookSecret } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** POST /api/webhooks/{id}/rotate-secret/ → 200 `{secret, secret_rotation_ends_at}`: the new secret, shown only here. */
export function rotateSecret(id: number): Promise<WebhookSecret> {
  return api.post<WebhookSecret>(`/api/webhooks/${id}/rotate-secret/`);
}

export function useRotateSecret() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: rotateSecret,
    // The endpoint now says until when the previous secret still signs.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) }),
  });
}
