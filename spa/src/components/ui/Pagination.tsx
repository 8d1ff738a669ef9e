interface PaginationProps {
  page: number;
  count: number;
  pageSize: number;
  hasNext: boolean;
  hasPrevious: boolean;
  onPage: (page: number) => void;
  noun?: string;
  busy?: boolean;
}

export function Pagination({ page, count, pageSize, hasNext, hasPrevious, onPage, noun: plural = 'items', busy }: PaginationProps) {
  const noun = count === 1 ? plural.replace(/s$/, '') : plural;
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
