import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { useScope } from '@/lib/host';
import { serviceAccountsPrefix, tokenKeys } from './keys';

/** DELETE /api/tokens/{id}/ → 204 (again 204 when revoked already); 404 when not the caller's to see. */
export function revokeToken(id: number): Promise<undefined> {
  return api.delete(`/api/tokens/${id}/`);
}

export function useRevokeToken() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeToken,
    // Refetch either way, so the list says what the server holds.
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: tokenKeys.all(scope) }),
        queryClient.invalidateQueries({ queryKey: serviceAccountsPrefix(scope) }),
      ]),
  });
}
