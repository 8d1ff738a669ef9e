import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import type { Paginated } from './api/types';

/** DRF does not send its page size; infer it from what a page holds. */
export function inferPageSize(data: Paginated<unknown>, page: number): number {
  const len = data.results.length;
  if (data.next || page === 1) return len;
  return page > 1 ? Math.max(len, Math.round((data.count - len) / (page - 1))) : len;
}

/** The current page lives in the URL (?page=N) so it survives reload and back. */
export function usePageParam(name = 'page'): [number, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const raw = Number(params.get(name) ?? '1');
  const page = Number.isInteger(raw) && raw > 0 ? raw : 1;
  const setPage = useCallback(
    (next: number) =>
      setParams(
        (prev) => {
          const out = new URLSearchParams(prev);
          if (next <= 1) out.delete(name);
          else out.set(name, String(next));
          return out;
        },
        { replace: false },
      ),
    [name, setParams],
  );
  return [page, setPage];
}
