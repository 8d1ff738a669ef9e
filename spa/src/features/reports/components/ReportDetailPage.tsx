import { Link, useParams } from 'react-router';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Badge, DryRunBadge, StatusBadge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader, Stat } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { ApiError, errorMessage } from '@/lib/api/errors';
import type { AuditEntry, Report } from '@/lib/api/types';
import { formatDateTime, formatDuration, formatNumber, formatPercent, formatRelative } from '@/lib/format';
import { AUDIT_ACTION_LABEL } from '@/lib/labels/audit-action';
import { REASON_LABEL } from '@/lib/labels/removal-reason';
import { Why } from '@/components/ui/Why';
import { TRIGGER_LABEL } from '@/lib/labels/trigger';
import { usePageParam } from '@/lib/pagination';
import { describeStages, isActiveStatus, reportStages, wouldRemove } from '@/lib/report-status';
import { useDownloadReportCsv } from '../api/download-report-csv';
import { useReport } from '../api/get-report';
import { useReportUsers } from '../api/get-report-users';
import { useReactivateUser } from '../api/reactivate-user';
import { ApprovalBanner } from './ApprovalBanner';
import { RunProgress } from './RunProgress';
import { UndoRunCard } from './UndoRunCard';
import { StageStats } from './StageStats';
import { UndeliverableList } from './UndeliverableList';
import { WarnedList } from './WarnedList';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useCanChange } from '@/lib/role';

export function ReportDetailPage() {
  const params = useParams();
  const id = Number(params.id);
  const valid = Number.isInteger(id) && id > 0;
  const report = useReport(valid ? id : null);

  if (!valid || (report.error instanceof ApiError && report.error.status === 404)) {
    return (
      <>
        <PageHeader title="Run not found" />
        <Card>
          <EmptyState title="This run does not exist" action={<Link to="/reports">Back to reports</Link>}>
            It may have been removed, or the link is wrong.
          </EmptyState>
        </Card>
      </>
    );
  }
  return (
    <QueryState query={report} loading="Loading run…" errorTitle="Could not load this run">
      {(data) => <ReportDetail report={data} />}
    </QueryState>
  );
}

function ReportDetail({ report }: { report: Report }) {
  useDocumentTitle(`Run #${report.id}`);
  const download = useDownloadReportCsv();
  const active = isActiveStatus(report.status);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/reports">Reports</Link> <span aria-hidden="true">/</span> <span>Run #{report.id}</span>
      </nav>
      <PageHeader
        title={
          <span className="title-with-badges">
            Run #{report.id} <StatusBadge status={report.status} /> {report.dry_run && <DryRunBadge />}
          </span>
        }
        description={`${TRIGGER_LABEL[report.trigger]} run${report.triggered_by ? ` by ${report.triggered_by}` : ''} · created ${formatDateTime(report.created_at)} (${formatRelative(report.created_at)})`}
        actions={
          <Button onClick={() => download.mutate(report.id)} busy={download.isPending} disabled={active}>
            Download CSV
          </Button>
        }
      />
      {download.isError && <ErrorAlert error={download.error} title="The CSV download failed" />}
      <ApprovalBanner report={report} />
      {active && report.status !== 'awaiting_approval' && (
        <Card title="In progress">
          <RunProgress report={report} />
        </Card>
      )}
      <Card title="Summary">
        <dl className="stats stats-wide">
          <StageStats report={report} />
          <Stat label="Matched" value={formatNumber(report.users_matched)} hint="past the inactivity limits" />
          <Stat label="Eligible" value={formatNumber(report.users_eligible)} />
          <Stat
            label="Duration"
            value={formatDuration(report.started_at, report.finished_at)}
            hint={report.finished_at ? `finished ${formatDateTime(report.finished_at)}` : undefined}
          />
        </dl>
        {wouldRemove(report) && (
          <p className="muted small">Dry run: nobody was changed and no email was sent. A real run would have: {describeStages(reportStages(report))}.</p>
        )}
        {report.status === 'aborted' && (
          <Alert tone="warning" title="Aborted — nobody was removed">
            {report.error || 'The run would have removed more than the maximum share of eligible users allowed by the policy.'}
            {(report.users_warned > 0 || report.users_removed > 0) && (
              <span className="block"> Had it gone ahead, it would have: {describeStages(reportStages(report))}.</span>
            )}
          </Alert>
        )}
        {report.approved_by && (
          <p className="muted small">
            Approved by {report.approved_by}
            {report.approved_at ? ` on ${formatDateTime(report.approved_at)}` : ''}, to remove at most {formatNumber(report.removal_limit)} users.
          </p>
        )}
        {report.status === 'failed' && (
          <Alert tone="error" title="The run failed">
            {report.error || 'No error message was recorded.'}
          </Alert>
        )}
        <PolicySnapshot policy={report.policy} />
      </Card>
      {report.can_undo && <UndoRunCard report={report} />}
      <AuditList report={report} />
      <UndeliverableList report={report} />
      <WarnedList report={report} />
    </>
  );
}

function snapshotValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.join(', ') || '—';
  // The safety cap reads as the percentage the policy editor shows.
  if (key === 'max_removal_ratio' && typeof value === 'number') return formatPercent(value);
  return String(value);
}

function PolicySnapshot({ policy }: { policy: unknown }) {
  if (!policy || typeof policy !== 'object') return null;
  const entries = Object.entries(policy as Record<string, unknown>).filter(([key]) => !['next_run_at', 'schedule_description'].includes(key));
  if (!entries.length) return null;
  return (
    <details className="snapshot">
      <summary>Policy used by this run</summary>
      <dl className="kv">
        {entries.map(([key, value]) => (
          <div key={key}>
            <dt>{key.replace(/_/g, ' ')}</dt>
            <dd>{snapshotValue(key, value)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Why a finished real run removed nobody: nobody matched, or those matched were kept. */
function matchedButKept(report: Report): string {
  const matched = report.users_matched ?? 0;
  if (!matched) return 'No user matched the policy.';
  const noticeDays = (report.policy as { notice_days?: unknown } | null)?.notice_days;
  const why =
    typeof noticeDays === 'number' && noticeDays > 0
      ? `a user with an email address is removed only once their warning is ${noticeDays} ${noticeDays === 1 ? 'day' : 'days'} old`
      : 'each was active again, or had changed, by the time the run reached them';
  return `${formatNumber(matched)} ${matched === 1 ? 'user' : 'users'} matched the policy, but none was removed: ${why}.`;
}

function AuditList({ report }: { report: Report }) {
  const [page, setPage] = usePageParam();
  const users = useReportUsers(report.id, page);
  const title = 'Audit list: users removed';
  return (
    <Card title={title}>
      <QueryState
        query={users}
        loading="Loading audit list…"
        errorTitle="Could not load the audit list"
        isEmpty={(data) => data.count === 0}
        empty={
          <EmptyState
            title={isActiveStatus(report.status) ? 'Nobody yet' : 'Nobody was removed by this run'}
            action={report.dry_run || report.status === 'aborted' ? <Link to="/policy">Preview who the policy matches</Link> : undefined}
          >
            {isActiveStatus(report.status)
              ? 'Users appear here as the run removes them.'
              : report.dry_run
                ? 'A dry run changes nobody, so its audit list is empty. The CSV has the column headers only.'
                : report.status === 'aborted'
                  ? 'The run was aborted before removing anyone.'
                  : matchedButKept(report)}
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Audit list of run #{report.id}</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Action</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Warned</th>
                    <th scope="col">Why</th>
                    <th scope="col" className="hide-sm">
                      Joined
                    </th>
                    <th scope="col">Account</th>
                  </tr>
                </thead>
                <tbody>
                  {data.results.map((u) => (
                    <tr key={u.user_id}>
                      <td>
                        <span className="strong">{u.username}</span>
                        <span className="muted small block">{u.email || 'no email'}</span>
                      </td>
                      <td>
                        <Badge tone={u.action === 'deleted' ? 'danger' : 'warning'}>{AUDIT_ACTION_LABEL[u.action]}</Badge>
                      </td>
                      <td>
                        <Badge tone={u.reason === 'never_logged_in' ? 'neutral' : 'warning'}>{REASON_LABEL[u.reason]}</Badge>
                      </td>
                      <td>
                        {u.noticed_at ? (
                          <time dateTime={u.noticed_at}>{formatDateTime(u.noticed_at)}</time>
                        ) : (
                          <span
                            className="muted"
                            title={u.email ? 'No notice was required when this user was removed' : 'No email address to send a notice to'}
                          >
                            {u.email ? 'not warned' : 'not warned (no email)'}
                          </span>
                        )}
                      </td>
                      <td className="small">
                        <Why user={u} />
                      </td>
                      <td className="hide-sm">{formatDateTime(u.date_joined)}</td>
                      <td>
                        <AuditOutcome entry={u} reportId={report.id} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination data={data} page={page} onPage={setPage} noun="users" busy={users.isFetching} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

/** What became of one removed account: deleted, reactivated (when, by whom), or Reactivate. */
function AuditOutcome({ entry, reportId }: { entry: AuditEntry; reportId: number }) {
  const reactivate = useReactivateUser(reportId);
  const canChange = useCanChange();
  // The Action column already says "Deleted": a deleted account cannot come back.
  if (entry.action === 'deleted') return <span className="muted small">Cannot be restored</span>;
  if (entry.restored_at) {
    return (
      <span className="small">
        <Badge tone="success">Reactivated</Badge>
        <span className="muted block">
          {formatDateTime(entry.restored_at)}
          {entry.restored_by ? ` by ${entry.restored_by}` : ''}
        </span>
      </span>
    );
  }
  if (!canChange) {
    return (
      <span className="muted small" title="Only tenant admins can reactivate an account">
        Not reactivated
      </span>
    );
  }
  return (
    <span className="small">
      <Button size="sm" onClick={() => reactivate.mutate(entry.user_id)} busy={reactivate.isPending} aria-label={`Reactivate ${entry.username}`}>
        Reactivate
      </Button>
      {reactivate.isError && (
        <span className="field-error block" role="alert">
          {errorMessage(reactivate.error)}
        </span>
      )}
    </span>
  );
}
