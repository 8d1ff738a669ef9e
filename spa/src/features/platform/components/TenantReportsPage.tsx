import { Link, useParams } from 'react-router';
import { ReportsTable } from '@/components/ReportsTable';
import { ErrorAlert } from '@/components/ui/Alert';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { Loading } from '@/components/ui/Spinner';
import { ApiError } from '@/lib/api/errors';
import { inferPageSize, usePageParam } from '@/lib/pagination';
import { useTenantReports } from '../api/get-tenant-reports';

export function TenantReportsPage() {
  const { schema = '' } = useParams();
  const [page, setPage] = usePageParam();
  const reports = useTenantReports(schema, page);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/tenants">Tenants</Link> <span aria-hidden="true">/</span> <span className="mono">{schema}</span>
      </nav>
      <PageHeader title={<>Reports for <span className="mono">{schema}</span></>} description="Every cleanup run of this tenant, newest first." />
      <Card>
        {reports.isPending ? (
          <Loading label="Loading reports…" />
        ) : reports.isError ? (
          reports.error instanceof ApiError && reports.error.status === 404 ? (
            <EmptyState title="No such tenant" action={<Link to="/tenants">Back to tenants</Link>}>
              There is no tenant with schema “{schema}”.
            </EmptyState>
          ) : (
            <ErrorAlert error={reports.error} onRetry={() => void reports.refetch()} title="Could not load reports" />
          )
        ) : reports.data.count === 0 ? (
          <EmptyState title="No cleanup has run yet" action={<Link to="/tenants">Trigger one from the tenants list</Link>}>
            This tenant&apos;s first run will appear here, whether it comes from its schedule, its admins or an operator.
          </EmptyState>
        ) : (
          <>
            <ReportsTable reports={reports.data.results} caption={`Cleanup reports of ${schema}`} />
            <Pagination page={page} count={reports.data.count} pageSize={inferPageSize(reports.data, page)} hasNext={!!reports.data.next} hasPrevious={!!reports.data.previous} onPage={setPage} noun="runs" busy={reports.isFetching} />
          </>
        )}
      </Card>
    </>
  );
}
