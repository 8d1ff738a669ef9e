import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { ErrorAlert } from './Alert';
import { EmptyState } from './Card';
import { Loading } from './Spinner';

interface QueryStateProps<T> {
  query: UseQueryResult<T>;
  /** What is loading, e.g. "Loading exemptions…". */
  loading: string;
  /** Title of the error, e.g. "Could not load exemptions". */
  errorTitle: string;
  /** When the data holds nothing to show: rendered instead of `children`. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}

/**
 * The loading → error (with retry) → empty → data chain every list shows, in
 * one place. While a new page loads the previous one stays (keepPreviousData),
 * so only the first load shows the spinner.
 */
export function QueryState<T>({ query, loading, errorTitle, isEmpty, empty, children }: QueryStateProps<T>) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.isError) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} title={errorTitle} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <EmptyState title="Nothing here yet" />}</>;
  return <>{children(query.data)}</>;
}
