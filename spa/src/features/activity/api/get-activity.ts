import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ActivityPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { activityKeys } from './keys';

/** GET /api/activity/?page=N — newest first; the host's own log (tenant or operators'). */
export function getActivity(page: number, signal?: AbortSignal): Promise<ActivityPage> {
  return api.get<ActivityPage>('/api/activity/', { page }, signal);
}

export function activityQueryOptions(scope: string, page: number) {
  return queryOptions({
    queryKey: activityKeys.list(scope, page),
    queryFn: ({ signal }) => getActivity(page, signal),
    placeholderData: keepPreviousData,
    // Every other page's actions add to the log, and no feature may reach into this
    // one's cache to invalidate it: fetch afresh whenever the page is opened.
    staleTime: 0,
  });
}

export function useActivity(page: number) {
  return useQuery(activityQueryOptions(useScope(), page));
}
