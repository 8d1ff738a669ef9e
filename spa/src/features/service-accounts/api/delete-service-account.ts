import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { useScope } from '@/lib/host';
import { serviceAccountKeys, tokensPrefix } from './keys';

/** DELETE /api/service-accounts/{username}/ → 204, its tokens with it; 404 when there is no such account. */
export function deleteServiceAccount(username: string): Promise<undefined> {
  return api.delete(`/api/service-accounts/${encodeURIComponent(username)}/`);
}

export function useDeleteServiceAccount() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteServiceAccount,
    // Refetch either way (a 404: someone else deleted it); its tokens left the token list too.
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: serviceAccountKeys.all(scope) }),
        queryClient.invalidateQueries({ queryKey: tokensPrefix(scope) }),
      ]),
  });
}
