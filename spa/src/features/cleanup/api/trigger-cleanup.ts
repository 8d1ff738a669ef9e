import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { ApiError } from '@/lib/api/errors';
import type { TriggerResponse } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { reportsPrefix } from './keys';

/**
 * POST /api/cleanup/trigger/ {dry_run?} → 202 {report_id, task_id, status}.
 * 409 {detail, report_id} when a run is already queued or running;
 * 503 when the task queue is unreachable.
 */
export function triggerCleanup(input: { dry_run?: boolean }): Promise<TriggerResponse> {
  return api.post<TriggerResponse>('/api/cleanup/trigger/', input);
}

export function triggerErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return 'A cleanup is already running.';
    if (error.status === 503) return 'The task queue is unavailable, try again shortly.';
  }
  return error instanceof Error ? error.message : 'The cleanup could not be started.';
}

/** The run already in progress, when the trigger answered 409. */
export function conflictingReportId(error: unknown): number | null {
  if (error instanceof ApiError && error.status === 409 && error.body && typeof error.body === 'object') {
    const id = (error.body as { report_id?: unknown }).report_id;
    return typeof id === 'number' ? id : null;
  }
  return null;
}

export function useTriggerCleanup() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: triggerCleanup,
    onSettled: () => queryClient.invalidateQueries({ queryKey: reportsPrefix(scope) }),
  });
}
