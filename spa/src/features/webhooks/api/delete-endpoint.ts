import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** DELETE /api/webhooks/{id}/ → 204 (its deliveries go with it); 404 when it is gone already. */
export function deleteEndpoint(id: number): Promise<undefined> {
  return api.delete(`/api/webhooks/${id}/`);
}

export function useDeleteEndpoint() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteEndpoint,
    // A 404 means someone else deleted it: refetch either way, so the list is true.
    onSettled: (_data, _error, id) => {
      queryClient.removeQueries({ queryKey: webhookKeys.detail(scope, id) });
      return queryClient.invalidateQueries({ queryKey: webhookKeys.all(scope) });
    },
  });
}
