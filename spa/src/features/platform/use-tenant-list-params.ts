import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { usePageParam } from '@/lib/pagination';
import type { TenantListParams, TenantOrdering, TenantStatusFilter } from './api/get-tenants';

export const TENANT_STATUS_FILTERS: readonly TenantStatusFilter[] = ['succeeded', 'failed', 'aborted', 'never'];
const ORDERINGS: readonly string[] = ['name', 'created_at', 'next_run_at', 'last_run'].flatMap((key) => [key, `-${key}`]);

type Filters = Pick<TenantListParams, 'search' | 'status' | 'ordering'>;

/** The tenants table's search, status filter, ordering and page live in the URL, so a reload keeps the view. */
export function useTenantListParams(): [TenantListParams, (change: Partial<Filters>) => void, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const rawStatus = params.get('status') ?? '';
  const rawOrdering = params.get('ordering') ?? '';
  const search = params.get('search') ?? '';
  const status: TenantStatusFilter | '' = (TENANT_STATUS_FILTERS as readonly string[]).includes(rawStatus) ? (rawStatus as TenantStatusFilter) : '';
  const ordering: TenantOrdering | '' = ORDERINGS.includes(rawOrdering) ? (rawOrdering as TenantOrdering) : '';
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
