import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { PlatformTrigger } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';

/** GET /api/platform/triggers/{id}/?page_size=N — what a trigger-all started: each run's report id and status. */
export function getTrigger(id: number, pageSize: number, signal?: AbortSignal): Promise<PlatformTrigger> {
  return api.get<PlatformTrigger>(`/api/platform/triggers/${id}/`, { page_size: pageSize }, signal);
}

/** Runs still to be taken or finished; a run awaiting approval may wait for days: not polled for. */
const UNDER_WAY = new Set<string>(['queued', 'running']);

/** Polls while a run of the page is queued or running: report ids appear as workers take the runs. */
export function triggerQueryOptions(scope: string, id: number, pageSize: number) {
  return queryOptions({
    queryKey: platformKeys.trigger(scope, id, pageSize),
    queryFn: ({ signal }) => getTrigger(id, pageSize, signal),
    refetchInterval: (query) => ((query.state.data?.results ?? []).some((r) => UNDER_WAY.has(r.status)) ? 2000 : false),
  });
}

export function useTrigger(id: number, pageSize: number) {
  return useQuery(triggerQueryOptions(useScope(), id, pageSize));
}
