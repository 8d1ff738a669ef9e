import { StatusBadge, DryRunBadge } from '@/components/ui/Badge';
import { ProgressBar } from '@/components/ui/ProgressBar';
import type { Report } from '@/lib/api/types';
import { formatNumber, formatRelative } from '@/lib/format';

/** Live view of a queued or running cleanup; the parent polls the report. */
export function RunProgress({ report }: { report: Report }) {
  const pct = Math.round(report.progress * 100);
  const queued = report.status === 'queued';
  return (
    <div className="run-progress" aria-live="polite">
      <div className="run-progress-head">
        <span className="badge-row">
          <StatusBadge status={report.status} />
          {report.dry_run && <DryRunBadge />}
        </span>
        <span className="muted small">
          Run #{report.id} · {queued ? `queued ${formatRelative(report.created_at)}` : `started ${formatRelative(report.started_at ?? report.created_at)}`}
        </span>
      </div>
      <ProgressBar value={report.progress} label={`Cleanup run #${report.id} progress`} indeterminate={queued} />
      <p className="small muted">
        {queued
          ? 'Waiting for a worker to pick up the run…'
          : `${pct}% · ${formatNumber(report.users_matched)} matched of ${formatNumber(report.users_eligible)} eligible · ${formatNumber(report.users_removed)} ${report.dry_run ? 'would be removed' : 'removed'} so far`}
      </p>
    </div>
  );
}
