import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { FinishedStatus, TenantOrdering, TenantStatusFilter } from '@/lib/api/types';
import { isKeyOf } from '@/lib/is-key-of';
import { STATUS_LABEL } from '@/lib/labels/report-status';
import { usePageParam } from '@/lib/pagination';
import { FINISHED_STATUSES } from '@/lib/report-status';
import type { TenantListParams } from './api/tenant-list-params';

/** The last-run filter's options, as the server takes them (a finished status, or never run), with their labels. */
export const TENANT_STATUS_FILTER_LABEL: Record<TenantStatusFilter, string> = {
  ...(Object.fromEntries(FINISHED_STATUSES.map((status) => [status, STATUS_LABEL[status]])) as Record<FinishedStatus, string>),
  never: 'Never run',
};

/** The columns the table sorts by, each either way (the server's ordering values). */
const ORDERING: Record<TenantOrdering, true> = {
  name: true,
  '-name': true,
  created_at: true,
  '-created_at': true,
  next_run_at: true,
  '-next_run_at': true,
  last_run: true,
  '-last_run': true,
};

type Filters = Pick<TenantListParams, 'search' | 'status' | 'ordering'>;

/** The tenants table's search, status filter, ordering and page live in the URL, so a reload keeps the view. */
export function useTenantListParams(): [TenantListParams, (change: Partial<Filters>) => void, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const rawStatus = params.get('status') ?? '';
  const rawOrdering = params.get('ordering') ?? '';
  const search = params.get('search') ?? '';
  const status: TenantStatusFilter | '' = isKeyOf(TENANT_STATUS_FILTER_LABEL, rawStatus) ? rawStatus : '';
  const ordering: TenantOrdering | '' = isKeyOf(ORDERING, rawOrdering) ? rawOrdering : '';
  const value = useMemo(() => ({ page, search, status, ordering }), [page, search, status, ordering]);
  const setFilters = useCallback(
    (change: Partial<Filters>) =>
      setParams(
        (prev) => {
          const out = new URLSearchParams(prev);
          for (const [key, next] of Object.entries(change)) {
            if (next) out.set(key, next);
            else out.delete(key);
          }
          // Another filter or order makes another list: start it at its first page.
          out.delete('page');
          return out;
        },
        // Typing a search should not fill the history with one entry per pause.
        { replace: 'search' in change },
      ),
    [setParams],
  );
  return [value, setFilters, setPage];
}
