import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ReportPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { isActiveStatus } from '@/lib/report-status';
import { platformKeys } from './keys';

/** GET /api/platform/tenants/{schema}/reports/?page=N */
export function getTenantReports(schema: string, page: number, signal?: AbortSignal): Promise<ReportPage> {
  return api.get<ReportPage>(`/api/platform/tenants/${encodeURIComponent(schema)}/reports/`, { page }, signal);
}

/** How long to poll for the report of a run an operator just queued. */
const AWAIT_RUN_MS = 60_000;

/**
 * Polls while a run of the page is active — and, given `queuedAt` (when an operator queued
 * a run), until a report at least that new shows up: the run's task creates it when a
 * worker takes it. Gives up after a minute (the tenants list shows the run as queued).
 */
export function tenantReportsQueryOptions(scope: string, schema: string, page: number, queuedAt: number | null = null) {
  return queryOptions({
    queryKey: platformKeys.tenantReports(scope, schema, page),
    queryFn: ({ signal }) => getTenantReports(schema, page, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => {
      const reports = query.state.data?.results ?? [];
      if (reports.some((r) => isActiveStatus(r.status))) return 2000;
      // No run yet: one may be queued (by the schedule, or from the tenants list).
      if (query.state.data?.count === 0) return 5000;
      const newest = reports[0] ? new Date(reports[0].created_at).getTime() : 0;
      // Clocks differ: a report created a little "before" the click is still the new one.
      const awaiting = queuedAt !== null && newest < queuedAt - 5_000 && Date.now() - queuedAt < AWAIT_RUN_MS;
      return awaiting ? 2000 : false;
    },
  });
}

export function useTenantReports(schema: string, page: number, queuedAt: number | null = null) {
  return useQuery(tenantReportsQueryOptions(useScope(), schema, page, queuedAt));
}
