import { useState, type ReactNode } from 'react';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { Dialog } from '@/components/ui/Dialog';
import { Switch } from '@/components/ui/Field';
import { Loading } from '@/components/ui/Spinner';
import type { Preview } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { describeStages, previewStages } from '@/lib/report-status';
import { useCanChange } from '@/lib/role';
import { usePolicy } from '../api/get-policy';
import { usePreviewNow } from '../api/preview-cleanup';
import { conflictingReportId, triggerErrorMessage, useTriggerCleanup } from '../api/trigger-cleanup';
import { runOutcome } from '../lib/run-outcome';

interface RunCleanupCardProps {
  /** A run is queued or running: the button is disabled. */
  running: boolean;
  /** Called with the report id of the run that was started (or that already runs, on 409). */
  onRun: (reportId: number) => void;
  /** Live progress of the active run, rendered by the parent. */
  children?: ReactNode;
}

function confirmationText(preview: Preview, dryRun: boolean): string {
  const n = formatNumber(preview.users_matched);
  const users = preview.users_matched === 1 ? 'user' : 'users';
  const stages = describeStages(previewStages(preview));
  if (dryRun) return `Dry run: report the ${n} ${users} matched by the current policy. Nobody is changed and no email is sent.`;
  return stages === 'nobody' ? 'Nobody would be warned or removed right now.' : `Right now: ${stages}.`;
}

export function RunCleanupCard({ running, onRun, children }: RunCleanupCardProps) {
  const policy = usePolicy();
  const preview = usePreviewNow();
  const trigger = useTriggerCleanup();
  const canChange = useCanChange();
  const [open, setOpen] = useState(false);
  const [dryRun, setDryRun] = useState<boolean | null>(null);
  const effectiveDryRun = dryRun ?? policy.data?.dry_run ?? true;
  const outcome = preview.isSuccess ? runOutcome(preview.data, effectiveDryRun, policy.data?.on_cap ?? 'ask') : null;

  const openDialog = () => {
    trigger.reset();
    setDryRun(policy.data?.dry_run ?? true);
    preview.mutate();
    setOpen(true);
  };

  const start = () => {
    trigger.mutate(
      { dry_run: effectiveDryRun },
      {
        onSuccess: (result) => onRun(result.report_id),
        onError: (error) => {
          const id = conflictingReportId(error);
          if (id !== null) onRun(id);
        },
        onSettled: () => setOpen(false),
      },
    );
  };

  return (
    <Card
      title="Run cleanup now"
      actions={
        canChange && (
          <Button variant="primary" onClick={openDialog} disabled={running || policy.isPending} aria-describedby={running ? 'run-disabled-reason' : undefined}>
            Run cleanup now
          </Button>
        )
      }
    >
      {!canChange ? (
        <p className="muted small">Only tenant admins can start a cleanup. A run in progress shows here as it goes.</p>
      ) : running ? (
        <p id="run-disabled-reason" className="muted small">
          A cleanup is in progress. You can start another once it finishes.
        </p>
      ) : (
        <p className="muted small">Runs the saved policy immediately, outside the schedule. You will confirm what happens first.</p>
      )}
      {trigger.isError && (
        <Alert tone={conflictingReportId(trigger.error) !== null ? 'warning' : 'error'} title="The cleanup was not started">
          {triggerErrorMessage(trigger.error)}
        </Alert>
      )}
      {children}
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="Run cleanup now?"
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant={outcome?.removes ? 'danger' : 'primary'} onClick={start} busy={trigger.isPending} disabled={!outcome}>
              {outcome?.label ?? 'Run'}
            </Button>
          </>
        }
      >
        <Switch
          label="Dry run — only report, change nobody"
          checked={effectiveDryRun}
          onChange={setDryRun}
          hint={policy.data ? `The policy's default is ${policy.data.dry_run ? 'dry run' : 'a real run'}.` : undefined}
        />
        {preview.isPending && <Loading label="Checking who the current policy matches…" />}
        {preview.isError && <ErrorAlert error={preview.error} onRetry={() => preview.mutate()} title="Could not preview the run" />}
        {preview.isSuccess && (
          <>
            <p className={`confirm-text ${outcome?.removes ? 'confirm-danger' : ''}`}>{confirmationText(preview.data, effectiveDryRun)}</p>
            <p className="muted small">
              {formatNumber(preview.data.users_matched)} of {formatNumber(preview.data.users_eligible)} eligible users match right now; the run re-checks each
              one as it goes.
            </p>
            {preview.data.would_abort &&
              (policy.data?.on_cap === 'ask' && !effectiveDryRun ? (
                <Alert tone="warning" title="This run will wait for approval">
                  It would remove more than the policy&apos;s safety cap allows, so it will remove nobody until a tenant admin approves it.
                </Alert>
              ) : (
                <Alert tone="warning" title="This run will abort">
                  It would remove more than the policy&apos;s safety cap allows, so it will stop and remove nobody.
                </Alert>
              ))}
          </>
        )}
      </Dialog>
    </Card>
  );
}
