import { Link } from 'react-router';
import { StatusBadge } from '@/components/ui/Badge';
import { Card, EmptyState, Stat } from '@/components/ui/Card';
import { QueryState } from '@/components/ui/QueryState';
import type { FleetSummary as Summary } from '@/lib/api/types';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { STATUS_LABEL } from '@/lib/labels/report-status';
import { ACTIVE_STATUSES, FINISHED_STATUSES } from '@/lib/report-status';
import { useFleetSummary } from '../api/get-fleet-summary';

/** The fleet at a glance: cards with its figures, and the runs that need an operator. */
export function FleetSummary() {
  const summary = useFleetSummary();
  return (
    <QueryState query={summary} loading="Loading the fleet summary…" errorTitle="Could not load the fleet summary">
      {(data) => (
        <div className="grid-overview">
          <FleetFigures summary={data} />
          <NeedsAttentionCard summary={data} />
        </div>
      )}
    </QueryState>
  );
}

function FleetFigures({ summary }: { summary: Summary }) {
  const runs = summary.runs_24h;
  const finished = FINISHED_STATUSES.reduce((total, status) => total + runs[status], 0);
  const active = ACTIVE_STATUSES.filter((status) => runs[status] > 0);
  return (
    <Card title="Fleet">
      <dl className="stats" aria-label="Fleet figures">
        <Stat label="Tenants" value={formatNumber(summary.tenants)} hint={`${formatNumber(summary.active_tenants)} active`} />
        <Stat
          label="Runs, 24 h"
          value={formatNumber(finished)}
          hint={FINISHED_STATUSES.map((status) => `${formatNumber(runs[status])} ${STATUS_LABEL[status].toLowerCase()}`).join(' · ')}
        />
        <Stat label="Removed, 24 h" value={formatNumber(summary.users_removed_24h)} hint="users, not counting dry or aborted runs" />
        <Stat label="Removed, 30 days" value={formatNumber(summary.users_removed_30d)} hint="users, not counting dry or aborted runs" />
      </dl>
      <p className="muted small" aria-label="Runs now">
        {active.length === 0
          ? 'No run is queued, running or awaiting approval.'
          : active.map((status) => (
              <span key={status} className="badge-row fleet-now">
                <StatusBadge status={status} /> {formatNumber(runs[status])}
              </span>
            ))}
      </p>
    </Card>
  );
}

function NeedsAttentionCard({ summary }: { summary: Summary }) {
  const items = summary.needs_attention;
  return (
    <Card title="Needs attention">
      {items.length === 0 ? (
        <EmptyState title="Nothing needs attention">No run awaits approval, and no tenant&apos;s last run failed or was aborted.</EmptyState>
      ) : (
        <ul className="attention-list" aria-label="Runs that need attention">
          {items.map((item) => (
            <li key={item.tenant}>
              <StatusBadge status={item.status} />
              <span className="attention-tenant">
                <Link to={`/tenants/${item.tenant}`}>
                  {item.name} · run #{item.report_id}
                </Link>
                <span className="muted small block mono">{item.tenant}</span>
              </span>
              <span className="muted small" title={formatDateTime(item.finished_at)}>
                {item.finished_at ? formatRelative(item.finished_at) : 'waiting'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
