import { Link } from 'react-router';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { QueryState } from '@/components/ui/QueryState';
import type { CleanupAction, Policy } from '@/lib/api/types';
import { formatDateTime, formatPercent, formatRelative } from '@/lib/format';
import { ON_CAP_LABEL } from '@/lib/labels/on-cap';
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
      <QueryState query={policy} loading="Loading policy…" errorTitle="Could not load the policy">
        {(data) => <PolicyFacts policy={data} />}
      </QueryState>
    </Card>
  );
}

function PolicyFacts({ policy }: { policy: Policy }) {
  return (
    <>
      <div className="next-run">
        <span className="muted small">Next scheduled run</span>
        {policy.enabled && policy.next_run_at ? (
          <>
            <strong className="next-run-when">
              <time dateTime={policy.next_run_at}>{formatDateTime(policy.next_run_at)}</time>
            </strong>
            <span className="muted">
              {formatRelative(policy.next_run_at)} · {policy.schedule_description || policy.schedule} ({policy.timezone})
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
          {policy.dry_run ? <Badge tone="accent">Dry run</Badge> : <Badge tone="danger">Live</Badge>} scheduled runs{' '}
          {policy.dry_run ? 'only report' : liveRuns(policy.action, policy.notice_days)}
        </li>
        <li>
          Inactive for more than <strong>{policy.inactive_days} days</strong>, or never logged in within <strong>{policy.never_logged_in_days} days</strong> of
          joining
        </li>
        <li>
          {ON_CAP_LABEL[policy.on_cap].does} above <strong>{formatPercent(policy.max_removal_ratio)}</strong> of eligible users
          {policy.exempt_groups.length > 0 && <> · exempt: {policy.exempt_groups.join(', ')}</>}
        </li>
      </ul>
    </>
  );
}
