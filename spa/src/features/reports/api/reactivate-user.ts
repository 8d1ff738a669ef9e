import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Reactivated } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/**
 * POST /api/reports/{id}/users/{user_id}/reactivate/ → 200 {user_id, username, restored_at}.
 * 409 when the account was deleted or is already active; 404 when the run did not remove it.
 */
export function reactivateUser({ reportId, userId }: { reportId: number; userId: number }): Promise<Reactivated> {
  return api.post<Reactivated>(`/api/reports/${reportId}/users/${userId}/reactivate/`);
}

export function useReactivateUser(reportId: number) {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: number) => reactivateUser({ reportId, userId }),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: reportKeys.allUsers(scope, reportId) }),
        queryClient.invalidateQueries({ queryKey: reportKeys.undoPreview(scope, reportId) }),
      ]),
  });
}
