import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { UndoPreview } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/** GET /api/reports/{id}/undo/ — what undoing the run would do now; changes nothing. 409 for a dry run or a run not finished. */
export function getUndoPreview(id: number, signal?: AbortSignal): Promise<UndoPreview> {
  return api.get<UndoPreview>(`/api/reports/${id}/undo/`, undefined, signal);
}

export function undoPreviewQueryOptions(scope: string, id: number) {
  return queryOptions({
    queryKey: reportKeys.undoPreview(scope, id),
    queryFn: ({ signal }) => getUndoPreview(id, signal),
    // Counted afresh each time the confirmation opens: accounts change between two looks.
    staleTime: 0,
    gcTime: 0,
  });
}

export function useUndoPreview(id: number, enabled: boolean) {
  return useQuery({ ...undoPreviewQueryOptions(useScope(), id), enabled });
}
