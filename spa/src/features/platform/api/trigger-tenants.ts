import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { PlatformTriggerInput, PlatformTriggerResponse } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';

/**
 * POST /api/platform/cleanup/trigger/ {tenants?, dry_run?} →
 * 202 {trigger_id, runs: [{tenant}], skipped: [{tenant, reason}]}.
 * Without `tenants`, every active tenant is triggered. Each queued run creates its
 * report when a worker takes it: GET /api/platform/triggers/{trigger_id}/ lists each run's
 * report id and status, and the tenants list shows it as `active_run` meanwhile.
 */
export function triggerTenants(input: PlatformTriggerInput): Promise<PlatformTriggerResponse> {
  return api.post<PlatformTriggerResponse>('/api/platform/cleanup/trigger/', input);
}

export function useTriggerTenants() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: triggerTenants,
    // The tenants' active runs, their reports and the fleet summary all change.
    onSettled: () => queryClient.invalidateQueries({ queryKey: platformKeys.all(scope) }),
  });
}
