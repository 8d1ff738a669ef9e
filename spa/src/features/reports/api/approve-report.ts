import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { ApiError } from '@/lib/api/errors';
import type { Report } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { STATUS_LABEL } from '@/lib/labels/report-status';
import { reportKeys } from './keys';
import { conflictStatus } from './report-conflict';

/**
 * POST /api/reports/{id}/approve/ → 202 the report, queued again with its removal_limit.
 * 409 {detail, status} when the run is not awaiting approval (answered already);
 * 503 when the task queue is unreachable — the run keeps waiting.
 */
export function approveReport(id: number): Promise<Report> {
  return api.post<Report>(`/api/reports/${id}/approve/`);
}

/** What went wrong with an approval or a rejection, in words. */
export function answerErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const status = conflictStatus(error);
    if (status) return `This run was answered already: it is now ${STATUS_LABEL[status].toLowerCase()}.`;
    if (error.status === 503) return 'The task queue is unavailable, try again shortly. The run is still waiting for approval.';
  }
  return error instanceof Error ? error.message : 'The answer could not be sent.';
}

export function useApproveReport() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: approveReport,
    onSuccess: (report) => queryClient.setQueryData(reportKeys.detail(scope, report.id), report),
    // Answered here or not (a 409 means someone else answered), every view of runs refreshes.
    onSettled: () => queryClient.invalidateQueries({ queryKey: reportKeys.all(scope) }),
  });
}
