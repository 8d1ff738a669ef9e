import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { useScope } from '@/lib/host';
import { exemptionKeys } from './keys';

/** DELETE /api/exemptions/{id}/ → 204; 404 when it is gone already. */
export function deleteExemption(id: number): Promise<undefined> {
  return api.delete(`/api/exemptions/${id}/`);
}

export function useDeleteExemption() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteExemption,
    // A 404 means someone else removed it: refetch either way, so the list is true.
    onSettled: () => queryClient.invalidateQueries({ queryKey: exemptionKeys.all(scope) }),
  });
}
