import type { ReactNode } from 'react';
import { ReportsTable } from '@/components/ReportsTable';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { usePageParam } from '@/lib/pagination';
import { useReports } from '../api/get-reports';
import { useDocumentTitle } from '@/lib/use-document-title';

export function ReportsPage({ empty, actions }: { empty?: ReactNode; actions?: ReactNode }) {
  const [page, setPage] = usePageParam();
  const reports = useReports(page);
  useDocumentTitle('Reports');

  return (
    <>
      <PageHeader title="Reports" description="Every cleanup run, newest first. Open a run to see who it removed and why." actions={actions} />
      <Card>
        <QueryState
          query={reports}
          loading="Loading reports…"
          errorTitle="Could not load reports"
          isEmpty={(data) => data.count === 0}
          empty={empty ?? <EmptyState title="No cleanup has run yet">Run one from the overview, or wait for the schedule.</EmptyState>}
        >
          {(data) => (
            <>
              <ReportsTable reports={data.results} hrefFor={(r) => `/reports/${r.id}`} caption="Cleanup reports" />
              <Pagination data={data} page={page} onPage={setPage} noun="runs" busy={reports.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
    </>
  );
}
