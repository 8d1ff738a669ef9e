import type { Paginated } from '@/lib/api/types';
import { inferPageSize } from '@/lib/pagination';

interface PaginationProps {
  /** The page as the API returned it: count, next and previous are read from it. */
  data: Paginated<unknown>;
  page: number;
  onPage: (page: number) => void;
  noun?: string;
  /** The noun for one, where dropping the plural's `s` does not make it ("deliveries"). */
  one?: string;
  busy?: boolean;
}

export function Pagination({ data, page, onPage, noun: plural = 'items', one, busy }: PaginationProps) {
  const { count } = data;
  const hasNext = !!data.next;
  const hasPrevious = !!data.previous;
  const pageSize = inferPageSize(data, page);
  const noun = count === 1 ? (one ?? plural.replace(/s$/, '')) : plural;
  if (!hasNext && !hasPrevious) {
    return (
      <p className="pagination-summary">
        {count} {noun}
      </p>
    );
  }
  const pages = pageSize > 0 ? Math.max(1, Math.ceil(count / pageSize)) : page;
  return (
    <nav className="pagination" aria-label="Pagination">
      <p className="pagination-summary">
        Page {page} of {pages} · {count} {noun}
        {busy ? ' · loading…' : ''}
      </p>
      <div className="pagination-buttons">
        <button type="button" className="btn btn-secondary btn-sm" disabled={!hasPrevious} onClick={() => onPage(page - 1)}>
          ← Previous
        </button>
        <button type="button" className="btn btn-secondary btn-sm" disabled={!hasNext} onClick={() => onPage(page + 1)}>
          Next →
        </button>
      </div>
    </nav>
  );
}
