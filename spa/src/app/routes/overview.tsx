import { useState } from 'react';
import { Link } from 'react-router';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { QueryState } from '@/components/ui/QueryState';
import { ReportsTable } from '@/components/ReportsTable';
import { usePolicy } from '@/features/cleanup/api/get-policy';
import { RunCleanupCard } from '@/features/cleanup/components/RunCleanupCard';
import { ScheduleSummary } from '@/features/cleanup/components/ScheduleSummary';
import { useLatestReport } from '@/features/reports/api/get-latest-report';
import { useReport } from '@/features/reports/api/get-report';
import { useReports } from '@/features/reports/api/get-reports';
import { ApprovalBanner } from '@/features/reports/components/ApprovalBanner';
import { LatestRunSummary } from '@/features/reports/components/LatestRunSummary';
import { RemovalsChart } from '@/features/reports/components/RemovalsChart';
import { RunProgress } from '@/features/reports/components/RunProgress';
import type { Report } from '@/lib/api/types';
import { formatDateTime, formatNumber } from '@/lib/format';
import { StatusBadge } from '@/components/ui/Badge';
import { describeStages, isActiveStatus, reportStages } from '@/lib/report-status';
import { useCanChange } from '@/lib/role';
import { useDocumentTitle } from '@/lib/use-document-title';

/** What a run that just finished did, in the words of its stages. */
function finishedOutcome(report: Report): string {
  if (report.dry_run) return 'nobody changed (dry run)';
  // Stopped at the safety cap, rejected, or its approval expired: before any stage ran.
  if (report.status === 'aborted') {
    const would = report.users_removed ? ` (${formatNumber(report.users_removed)} would have been removed)` : '';
    return `nobody warned or removed${would}`;
  }
  const stages = describeStages(reportStages(report));
  return stages === 'nobody' ? 'nobody warned or removed' : stages;
}

/**
 * The latest run as last seen by either query: the followed run is polled every second, the
 * latest-run card only every two, so a run that finishes between two polls of the card would
 * otherwise still read "Queued" under a line saying it finished.
 */
function freshest(latest: Report, followed: Report | undefined, latestAt: number, followedAt: number): Report {
  if (!followed || followed.id !== latest.id) return latest;
  // A run never goes back from finished to active: of two copies, a finished one is newer.
  const latestActive = isActiveStatus(latest.status);
  if (latestActive !== isActiveStatus(followed.status)) return latestActive ? followed : latest;
  return followedAt > latestAt ? followed : latest;
}

export function OverviewRoute() {
  useDocumentTitle('Overview');
  const latest = useLatestReport();
  const recent = useReports(1);
  const policy = usePolicy();
  const canChange = useCanChange();
  const [startedId, setStartedId] = useState<number | null>(null);

  // The run to follow: the one just started here, else whatever is in flight.
  const latestActiveId = latest.data && isActiveStatus(latest.data.status) ? latest.data.id : null;
  const followId = startedId ?? latestActiveId;
  const followed = useReport(followId);
  const active = followed.data ? isActiveStatus(followed.data.status) : followId !== null && followed.isPending;

  const nextRun = policy.data?.enabled && policy.data.next_run_at ? formatDateTime(policy.data.next_run_at) : null;

  return (
    <>
      <PageHeader title="Overview" description="The latest cleanup at a glance, what runs next, and removals over time." />
      {latest.data && <ApprovalBanner report={latest.data} />}
      <RunCleanupCard running={active} onRun={setStartedId}>
        {followed.data && isActiveStatus(followed.data.status) && followed.data.status !== 'awaiting_approval' && <RunProgress report={followed.data} />}
        {followed.data && startedId !== null && !isActiveStatus(followed.data.status) && (
          <p className="finished-line">
            <StatusBadge status={followed.data.status} /> Run #{followed.data.id} finished: {formatNumber(followed.data.users_matched)} matched,{' '}
            {finishedOutcome(followed.data)}. <Link to={`/reports/${followed.data.id}`}>Open the report</Link>
          </p>
        )}
      </RunCleanupCard>
      <div className="grid-overview">
        <Card title="Latest run">
          <QueryState
            query={latest}
            loading="Loading the latest run…"
            errorTitle="Could not load the latest run"
            isEmpty={(report) => report === null}
            empty={
              <EmptyState title="No cleanup has run yet">
                {canChange
                  ? nextRun
                    ? `Run one now or wait for the schedule at ${nextRun}.`
                    : 'Run one now — scheduled runs are off.'
                  : nextRun
                    ? `The next scheduled run is at ${nextRun}.`
                    : 'Scheduled runs are off.'}
              </EmptyState>
            }
          >
            {(report) => report && <LatestRunSummary report={freshest(report, followed.data, latest.dataUpdatedAt, followed.dataUpdatedAt)} />}
          </QueryState>
        </Card>
        <ScheduleSummary />
      </div>
      <Card title="Users removed per run">
        <QueryState
          query={recent}
          loading="Loading history…"
          errorTitle="Could not load the run history"
          isEmpty={(data) => data.results.every((r) => isActiveStatus(r.status))}
          empty={<EmptyState title="Nothing to chart yet">The chart fills in as cleanups finish.</EmptyState>}
        >
          {(data) => <RemovalsChart reports={data.results} />}
        </QueryState>
      </Card>
      <Card
        title="Recent runs"
        actions={
          <Link to="/reports" className="btn btn-secondary btn-sm">
            All reports
          </Link>
        }
      >
        <QueryState
          query={recent}
          loading="Loading recent runs…"
          errorTitle="Could not load the recent runs"
          isEmpty={(data) => data.results.length === 0}
          empty={<EmptyState title="No runs yet">Runs show up here as soon as one is queued.</EmptyState>}
        >
          {(data) => <ReportsTable reports={data.results.slice(0, 5)} hrefFor={(r) => `/reports/${r.id}`} caption="Recent cleanup runs" />}
        </QueryState>
      </Card>
    </>
  );
}
