import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { UndoResult } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/**
 * POST /api/reports/{id}/undo/ → 200 {reactivated, already_active, deleted, deactivated_again}.
 * Idempotent: a second undo reactivates nobody. 409 for a dry run or a run not finished.
 */
export function undoReport(id: number): Promise<UndoResult> {
  return api.post<UndoResult>(`/api/reports/${id}/undo/`);
}

export function useUndoReport(id: number) {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => undoReport(id),
    // The audit rows now say who was restored.
    onSettled: () => queryClient.invalidateQueries({ queryKey: reportKeys.allUsers(scope, id) }),
  });
}
