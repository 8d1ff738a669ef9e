import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ReportsTable } from '@/components/ReportsTable';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { ApiError } from '@/lib/api/errors';
import { usePageParam } from '@/lib/pagination';
import { useTenantReports } from '../api/get-tenant-reports';
import { useTriggerTenants } from '../api/trigger-tenants';
import { useDocumentTitle } from '@/lib/use-document-title';

export function TenantReportsPage() {
  const { schema = '' } = useParams();
  useDocumentTitle(`Reports of ${schema}`);
  const [page, setPage] = usePageParam();
  const trigger = useTriggerTenants();
  const skipped = trigger.data?.skipped[0];
  // A queued run has no report until a worker takes it: the list polls until it shows.
  const [queuedAt, setQueuedAt] = useState<number | null>(null);
  const reports = useTenantReports(schema, page, queuedAt);
  const start = () => trigger.mutate({ tenants: [schema], dry_run: true }, { onSuccess: (data) => setQueuedAt(data.runs.length ? Date.now() : null) });
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/tenants">Tenants</Link> <span aria-hidden="true">/</span> <span className="mono">{schema}</span>
      </nav>
      <PageHeader
        title={
          <>
            Reports for <span className="mono">{schema}</span>
          </>
        }
        description="Every cleanup run of this tenant, newest first."
        actions={
          <Button onClick={start} busy={trigger.isPending}>
            Start a dry run
          </Button>
        }
      />
      {trigger.isError && <ErrorAlert error={trigger.error} title="No cleanup was started" />}
      {trigger.data &&
        (skipped ? (
          <Alert tone="warning" title="Skipped">
            {skipped.reason}
          </Alert>
        ) : (
          <Alert tone="success">Dry run queued: it appears below as soon as a worker starts it.</Alert>
        ))}
      <Card>
        {reports.error instanceof ApiError && reports.error.status === 404 ? (
          <EmptyState title="No such tenant" action={<Link to="/tenants">Back to tenants</Link>}>
            There is no tenant with schema “{schema}”.
          </EmptyState>
        ) : (
          <QueryState
            query={reports}
            loading="Loading reports…"
            errorTitle="Could not load reports"
            isEmpty={(data) => data.count === 0}
            empty={
              <EmptyState title="No cleanup has run yet" action={<Link to="/tenants">Trigger one from the tenants list</Link>}>
                This tenant&apos;s first run will appear here, whether it comes from its schedule, its admins or an operator.
              </EmptyState>
            }
          >
            {(data) => (
              <>
                <ReportsTable reports={data.results} caption={`Cleanup reports of ${schema}`} />
                <Pagination data={data} page={page} onPage={setPage} noun="runs" busy={reports.isFetching} />
              </>
            )}
          </QueryState>
        )}
      </Card>
    </>
  );
}
