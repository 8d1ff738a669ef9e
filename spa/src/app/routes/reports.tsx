import { Link } from 'react-router';
import { EmptyState } from '@/components/ui/Card';
import { usePolicy } from '@/features/cleanup/api/get-policy';
import { ReportsPage } from '@/features/reports/components/ReportsPage';
import { formatDateTime } from '@/lib/format';
import { useCanChange } from '@/lib/role';

export function ReportsRoute() {
  const policy = usePolicy();
  const canChange = useCanChange();
  const next = policy.data?.enabled && policy.data.next_run_at ? formatDateTime(policy.data.next_run_at) : null;
  return (
    <ReportsPage
      empty={
        <EmptyState
          title="No cleanup has run yet"
          action={
            canChange && (
              <Link to="/" className="btn btn-primary">
                Run one now
              </Link>
            )
          }
        >
          {canChange
            ? next
              ? `Run one now or wait for the schedule at ${next}.`
              : 'Run one now; scheduled runs are off.'
            : next
              ? `The next scheduled run is at ${next}.`
              : 'Scheduled runs are off.'}
        </EmptyState>
      }
    />
  );
}
