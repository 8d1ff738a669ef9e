import { Link } from 'react-router';
import { DryRunBadge, StatusBadge } from '@/components/ui/Badge';
import { Stat } from '@/components/ui/Card';
import type { Report } from '@/lib/api/types';
import { formatDateTime, formatDuration, formatNumber, formatRelative } from '@/lib/format';
import { TRIGGER_LABEL } from '@/lib/labels/trigger';
import { isActiveStatus } from '@/lib/report-status';
import { StageStats } from './StageStats';

export function LatestRunSummary({ report }: { report: Report }) {
  const when = report.finished_at ?? report.started_at ?? report.created_at;
  return (
    <div className="latest-run">
      <div className="latest-run-head">
        <span className="badge-row">
          <StatusBadge status={report.status} />
          {report.dry_run && <DryRunBadge />}
        </span>
        <span className="muted">
          <Link to={`/reports/${report.id}`}>Run #{report.id}</Link> · {report.finished_at ? 'finished' : 'started'}{' '}
          <time dateTime={when} title={formatDateTime(when)}>
            {formatRelative(when)}
          </time>{' '}
          · {TRIGGER_LABEL[report.trigger].toLowerCase()} run
          {report.triggered_by ? ` by ${report.triggered_by}` : ''}
        </span>
      </div>
      {isActiveStatus(report.status) ? (
        <p className="muted">
          {report.status === 'awaiting_approval'
            ? 'This run stopped before removing anyone: it waits for a tenant admin to approve or reject it.'
            : `This run is ${report.status === 'queued' ? 'waiting for a worker' : 'in progress'}; its figures appear here when it finishes.`}
        </p>
      ) : (
        <dl className="stats stats-wide">
          <StageStats report={report} />
          <Stat label="Matched" value={formatNumber(report.users_matched)} hint="inactive or never logged in" />
          <Stat label="Eligible" value={formatNumber(report.users_eligible)} hint="users the policy looks at" />
          <Stat label="Duration" value={formatDuration(report.started_at, report.finished_at)} />
        </dl>
      )}
      {report.status === 'aborted' && (
        <p className="callout callout-warning">
          {report.error || "The run was aborted and removed nobody: it would have removed more than the policy's maximum share of eligible users."}
        </p>
      )}
      {report.status === 'failed' && <p className="callout callout-danger">The run failed{report.error ? `: ${report.error}` : '.'}</p>}
    </div>
  );
}
