import { useId, useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import type { Report } from '@/lib/api/types';
import { formatNumber, formatPercent, formatRelative } from '@/lib/format';
import { answerErrorMessage, useApproveReport } from '../api/approve-report';
import { useRejectReport } from '../api/reject-report';

type Answer = 'approve' | 'reject';

/** The policy's cap as the run recorded it (its snapshot), when it did. */
function capOf(report: Report): number | null {
  const policy = report.policy as { max_removal_ratio?: unknown } | null;
  return typeof policy?.max_removal_ratio === 'number' ? policy.max_removal_ratio : null;
}

function users(n: number | null): string {
  return `${formatNumber(n)} ${n === 1 ? 'user' : 'users'}`;
}

/**
 * A run stopped over the safety cap waits for a tenant admin (docs/architecture.md#oversight). The banner
 * says what the run would do and offers Approve / Reject, each confirmed first. It stays
 * mounted after the answer so that a refusal (409: someone answered first; 503: the task
 * queue is down) is still said when the run has moved on.
 */
export function ApprovalBanner({ report }: { report: Report }) {
  const approve = useApproveReport();
  const reject = useRejectReport();
  // The server says whether this caller may answer (a tenant admin; never an auditor).
  const canAnswer = report.can_approve;
  const [open, setOpen] = useState<Answer | null>(null);
  const titleId = useId();
  const failure = approve.error ?? reject.error;
  const verb = report.action === 'delete' ? 'delete' : 'deactivate';

  if (report.status !== 'awaiting_approval') {
    return failure ? (
      <Alert tone="warning" title="Your answer was not recorded">
        {answerErrorMessage(failure)}
      </Alert>
    ) : null;
  }

  const answer = (which: Answer) => {
    approve.reset();
    reject.reset();
    (which === 'approve' ? approve : reject).mutate(report.id, { onSettled: () => setOpen(null) });
  };
  // What the run would remove (deactivate + delete): the number the cap weighed, and the
  // limit an approval sets. Matched users still owed a notice are only warned.
  const matched = report.users_removed;
  const eligible = report.users_eligible;
  const cap = capOf(report);
  const share = matched !== null && eligible ? formatPercent(matched / eligible) : null;

  return (
    <section className="alert alert-warning approval-banner" aria-labelledby={titleId}>
      <div className="alert-body">
        <strong className="alert-title" id={titleId}>
          Run #{report.id} is waiting for {canAnswer ? 'your' : 'a tenant admin’s'} approval
        </strong>
        <p>
          It would {verb} {users(matched)} of {formatNumber(eligible)} eligible{share ? ` (${share})` : ''}
          {cap !== null ? `, more than the policy's cap of ${formatPercent(cap)}` : ', more than the policy allows'}. Nobody has been removed yet.
          {report.started_at ? ` It asked ${formatRelative(report.started_at)}.` : ''}
        </p>
        {failure && <p className="strong">{answerErrorMessage(failure)}</p>}
        {!canAnswer && <p className="muted small">Only tenant admins can approve or reject it.</p>}
      </div>
      {canAnswer && (
        <div className="alert-action approval-actions">
          <Button onClick={() => setOpen('reject')}>Reject</Button>
          <Button variant="danger" onClick={() => setOpen('approve')}>
            Approve
          </Button>
        </div>
      )}
      <Dialog
        open={open === 'approve'}
        onClose={() => setOpen(null)}
        title={`Approve run #${report.id}?`}
        footer={
          <>
            <Button onClick={() => setOpen(null)}>Cancel</Button>
            <Button variant="danger" onClick={() => answer('approve')} busy={approve.isPending}>
              Approve and run
            </Button>
          </>
        }
      >
        <p className="confirm-text confirm-danger">
          The run is queued again and will {verb} at most {users(matched)}: the number it showed.
        </p>
        <p className="muted small">
          Each user is checked again as the run goes: anyone active again in the meantime is kept.{' '}
          {verb === 'delete' ? 'Deleted accounts cannot be restored.' : 'Deactivated accounts can be reactivated from the run’s page.'}
        </p>
      </Dialog>
      <Dialog
        open={open === 'reject'}
        onClose={() => setOpen(null)}
        title={`Reject run #${report.id}?`}
        footer={
          <>
            <Button onClick={() => setOpen(null)}>Cancel</Button>
            <Button variant="primary" onClick={() => answer('reject')} busy={reject.isPending}>
              Reject run
            </Button>
          </>
        }
      >
        <p className="confirm-text">The run ends as aborted and removes nobody.</p>
        <p className="muted small">The policy stays as it is, so a later run may ask again.</p>
      </Dialog>
    </section>
  );
}
