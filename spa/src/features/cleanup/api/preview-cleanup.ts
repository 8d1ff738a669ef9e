import { keepPreviousData, queryOptions, useMutation, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { PolicyInput, Preview } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { cleanupKeys } from './keys';

/** POST /api/cleanup/preview/ {…policy fields to try…} — changes nothing. */
export function previewCleanup(input: PolicyInput, signal?: AbortSignal): Promise<Preview> {
  return api.post<Preview>('/api/cleanup/preview/', input, { signal });
}

export function previewQueryOptions(scope: string, input: PolicyInput) {
  return queryOptions({
    queryKey: cleanupKeys.preview(scope, input),
    queryFn: ({ signal }) => previewCleanup(input, signal),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
}

/** Preview of an edited (not yet saved) policy; pass null to pause. */
export function usePreview(input: PolicyInput | null) {
  return useQuery({ ...previewQueryOptions(useScope(), input ?? {}), enabled: input !== null });
}

/** One-off preview of the saved policy, for the "run now" confirmation. */
export function usePreviewNow() {
  return useMutation({ mutationFn: () => previewCleanup({}) });
}
