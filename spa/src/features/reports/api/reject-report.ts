import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Report } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportKeys } from './keys';

/**
 * POST /api/reports/{id}/reject/ → 200 the report, aborted, its error naming who rejected it.
 * 409 {detail, status} when the run is not awaiting approval (answered already).
 */
export function rejectReport(id: number): Promise<Report> {
  return api.post<Report>(`/api/reports/${id}/reject/`);
}

export function useRejectReport() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: rejectReport,
    onSuccess: (report) => queryClient.setQueryData(reportKeys.detail(scope, report.id), report),
    onSettled: () => queryClient.invalidateQueries({ queryKey: reportKeys.all(scope) }),
  });
}
