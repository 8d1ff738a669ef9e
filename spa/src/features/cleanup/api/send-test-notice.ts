import { useMutation } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { ApiError } from '@/lib/api/errors';
import type { PolicyInput } from '@/lib/api/types';

/**
 * POST /api/cleanup/policy/test-notice/ {…the draft's policy fields…} → 202 {to}: the server
 * emails the caller the notice the draft would send (nothing is saved). 400 names a bad
 * field, 429 when too many tests were asked for, 503 when the task queue is unreachable.
 */
export function sendTestNotice(input: PolicyInput): Promise<{ to: string }> {
  return api.post<{ to: string }>('/api/cleanup/policy/test-notice/', input);
}

export function testNoticeErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return 'Too many test emails for now: try again in a few minutes.';
    if (error.status === 503) return 'The task queue is unavailable, try again shortly.';
    if (error.status === 400) return error.detail ?? 'Fix the highlighted fields first.';
  }
  return error instanceof Error ? error.message : 'The test email could not be sent.';
}

export function useSendTestNotice() {
  return useMutation({ mutationFn: sendTestNotice });
}
