import { Link } from 'react-router';
import { ErrorAlert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { Loading } from '@/components/ui/Spinner';
import type { CleanupAction } from '@/lib/api/types';
import { formatDateTime, formatPercent, formatRelative } from '@/lib/format';
import { usePolicy } from '../api/get-policy';

/** What a live scheduled run does to the users it matches. */
function liveRuns(action: CleanupAction, noticeDays: number): string {
  const removal = action === 'delete' ? 'delete' : 'deactivate';
  return noticeDays > 0 ? `warn users ${noticeDays} ${noticeDays === 1 ? 'day' : 'days'} ahead, then ${removal} them` : `${removal} users`;
}

export function ScheduleSummary() {
  const policy = usePolicy();
  return (
    <Card
      title="Schedule & policy"
      actions={
        <Link to="/policy" className="btn btn-secondary btn-sm">
          Edit policy
        </Link>
      }
    >
      {policy.isPending ? (
        <Loading label="Loading policy…" />
      ) : policy.isError ? (
        <ErrorAlert error={policy.error} onRetry={() => void policy.refetch()} title="Could not load the policy" />
      ) : (
        <>
          <div className="next-run">
            <span className="muted small">Next scheduled run</span>
            {policy.data.enabled && policy.data.next_run_at ? (
              <>
                <strong className="next-run-when">
                  <time dateTime={policy.data.next_run_at}>{formatDateTime(policy.data.next_run_at)}</time>
                </strong>
                <span className="muted">
                  {formatRelative(policy.data.next_run_at)} · {policy.data.schedule_description || policy.data.schedule} ({policy.data.timezone})
                </span>
              </>
            ) : (
              <>
                <strong className="next-run-when">Scheduled runs are off</strong>
                <span className="muted">Turn on “Run on schedule” in the policy, or run a cleanup by hand.</span>
              </>
            )}
          </div>
          <ul className="policy-facts">
            <li>
              {policy.data.dry_run ? <Badge tone="accent">Dry run</Badge> : <Badge tone="danger">Live</Badge>} scheduled runs{' '}
              {policy.data.dry_run ? 'only report' : liveRuns(policy.data.action, policy.data.notice_days)}
            </li>
            <li>
              Inactive for more than <strong>{policy.data.inactive_days} days</strong>, or never logged in within{' '}
              <strong>{policy.data.never_logged_in_days} days</strong> of joining
            </li>
            <li>
              {policy.data.on_cap === 'ask' ? 'Asks for approval' : 'Aborts'} above <strong>{formatPercent(policy.data.max_removal_ratio)}</strong> of eligible
              users
              {policy.data.exempt_groups.length > 0 && <> · exempt: {policy.data.exempt_groups.join(', ')}</>}
            </li>
          </ul>
        </>
      )}
    </Card>
  );
}
