import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { FleetSummary } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';

/** GET /api/platform/summary/ — tenants, runs of the last 24 h by status, users removed, what needs attention. */
export function getFleetSummary(signal?: AbortSignal): Promise<FleetSummary> {
  return api.get<FleetSummary>('/api/platform/summary/', undefined, signal);
}

export function fleetSummaryQueryOptions(scope: string) {
  return queryOptions({
    queryKey: platformKeys.summary(scope),
    queryFn: ({ signal }) => getFleetSummary(signal),
    // Runs start and end across the fleet all the time.
    refetchInterval: 15_000,
  });
}

export function useFleetSummary() {
  return useQuery(fleetSummaryQueryOptions(useScope()));
}
