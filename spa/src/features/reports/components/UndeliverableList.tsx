import { Card } from '@/components/ui/Card';
import type { Report } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { isKeyOf } from '@/lib/is-key-of';
import { ON_UNDELIVERABLE_LABEL } from '@/lib/labels/on-undeliverable';

/** The matched users whose address refused their warning, and what the run did with them
 * (the policy it ran with: held, or removed without a warning). */
export function UndeliverableList({ report }: { report: Report }) {
  if (report.users_undeliverable === 0) return null;
  const choice = (report.policy as Record<string, unknown>).on_undeliverable;
  const outcome = ON_UNDELIVERABLE_LABEL[isKeyOf(ON_UNDELIVERABLE_LABEL, choice) ? choice : 'hold'].outcome;
  const more = report.users_undeliverable - report.undeliverable.length;
  return (
    <Card title="Could not be warned">
      <p>
        <strong>{formatNumber(report.users_undeliverable)}</strong> {report.users_undeliverable === 1 ? 'user is' : 'users are'} past the limits, but the mail
        server refused {report.users_undeliverable === 1 ? 'their address' : 'their addresses'}. {report.counts_are_would ? 'A real run: ' : ''}
        {outcome}.
      </p>
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Users who could not be warned">
        <table className="table table-compact">
          <caption className="sr-only">Users whose warning email could not be delivered, with the mail server's reason</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {report.undeliverable.map((user) => (
              <tr key={user.user_id}>
                <td>
                  <span className="strong">{user.username}</span>
                  <span className="muted small block">{user.email}</span>
                </td>
                <td className="small">{user.reason || 'refused'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more > 0 && <p className="muted small">and {formatNumber(more)} more.</p>}
    </Card>
  );
}
