import { Link } from 'react-router';
import type { Report } from '@/lib/api/types';
import { formatDateTime, formatDuration, formatNumber, formatRelative } from '@/lib/format';
import { ACTION_LABEL } from '@/lib/labels/action';
import { TRIGGER_LABEL } from '@/lib/labels/trigger';
import { DryRunBadge, StatusBadge } from './ui/Badge';

interface ReportsTableProps {
  reports: Report[];
  /** When given, each run links to its detail page. */
  hrefFor?: (report: Report) => string;
  caption: string;
}

export function ReportsTable({ reports, hrefFor, caption }: ReportsTableProps) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col" className="hide-sm">
              Trigger
            </th>
            <th scope="col" className="hide-sm">
              Action
            </th>
            <th scope="col" className="num hide-sm">
              Eligible
            </th>
            <th scope="col" className="num">
              Matched
            </th>
            <th scope="col" className="num">
              Removed
            </th>
            <th scope="col" className="num hide-sm">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {reports.map((report) => (
            <tr key={report.id}>
              <td>
                {hrefFor ? (
                  <Link to={hrefFor(report)} className="row-link nowrap">
                    Run #{report.id}
                  </Link>
                ) : (
                  <span>Run #{report.id}</span>
                )}
              </td>
              <td>
                <span title={formatDateTime(report.started_at ?? report.created_at)}>{formatDateTime(report.started_at ?? report.created_at)}</span>
                <span className="muted small block">{formatRelative(report.started_at ?? report.created_at)}</span>
              </td>
              <td>
                <span className="badge-row">
                  <StatusBadge status={report.status} />
                  {report.dry_run && <DryRunBadge />}
                </span>
              </td>
              <td className="hide-sm">
                {TRIGGER_LABEL[report.trigger]}
                {report.triggered_by && <span className="muted small block">by {report.triggered_by}</span>}
              </td>
              <td className="hide-sm">{ACTION_LABEL[report.action].title}</td>
              <td className="num hide-sm">{formatNumber(report.users_eligible)}</td>
              <td className="num">{formatNumber(report.users_matched)}</td>
              <td className="num strong">
                {report.counts_are_would ? (
                  // What it would remove: a dry run, or one waiting for approval or aborted, removed nobody.
                  <span className="muted" title="Would remove; nobody was removed">
                    {formatNumber(report.users_removed)} would
                  </span>
                ) : (
                  formatNumber(report.users_removed)
                )}
              </td>
              <td className="num hide-sm">{formatDuration(report.started_at, report.finished_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
