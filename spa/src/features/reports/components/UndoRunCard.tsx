import { useState } from 'react';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { Dialog } from '@/components/ui/Dialog';
import { QueryState } from '@/components/ui/QueryState';
import type { Report, UndoPreview, UndoResult } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';
import { useUndoPreview } from '../api/get-undo-preview';
import { useUndoReport } from '../api/undo-report';

function accounts(n: number): string {
  return `${formatNumber(n)} ${n === 1 ? 'account' : 'accounts'}`;
}

/** The accounts an undo leaves as they are, and why; nothing when there are none. */
function LeftAlone({ counts }: { counts: Pick<UndoPreview & UndoResult, 'already_active' | 'deleted' | 'deactivated_again'> }) {
  const lines = [
    counts.already_active > 0 && `${accounts(counts.already_active)} active already.`,
    counts.deleted > 0 && `${accounts(counts.deleted)} deleted since the run: they cannot be restored.`,
    counts.deactivated_again > 0 &&
      `${accounts(counts.deactivated_again)} reactivated and deactivated again since the run: left inactive (Reactivate on the audit row still can).`,
  ].filter(Boolean);
  if (!lines.length) return null;
  return (
    <ul className="result-list small">
      {lines.map((line) => (
        <li key={String(line)}>{line}</li>
      ))}
    </ul>
  );
}

/**
 * "Undo this run": reactivates every account the run deactivated that is still inactive
 * because of it. The confirmation counts afresh what the undo would do (GET …/undo/).
 */
export function UndoRunCard({ report }: { report: Report }) {
  const [open, setOpen] = useState(false);
  const preview = useUndoPreview(report.id, open);
  const undo = useUndoReport(report.id);

  const confirm = () => undo.mutate(undefined, { onSettled: () => setOpen(false) });
  const reactivate = preview.data?.reactivate ?? 0;

  return (
    <Card
      title="Undo this run"
      actions={
        <Button
          onClick={() => {
            undo.reset();
            setOpen(true);
          }}
        >
          Undo this run
        </Button>
      }
    >
      <p className="muted small">
        Reactivates the accounts this run deactivated that are still inactive because of it. Accounts deleted since, or deactivated again, are left as they are.
      </p>
      {undo.isError && <ErrorAlert error={undo.error} title="The run was not undone" />}
      {undo.isSuccess && (
        <Alert tone="success" title={`Run #${report.id} undone: ${accounts(undo.data.reactivated)} reactivated`}>
          <LeftAlone counts={undo.data} />
        </Alert>
      )}
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Undo run #${report.id}?`}
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" onClick={confirm} busy={undo.isPending} disabled={!preview.isSuccess || reactivate === 0}>
              {preview.isSuccess && reactivate > 0 ? `Reactivate ${accounts(reactivate)}` : 'Reactivate'}
            </Button>
          </>
        }
      >
        <QueryState query={preview} loading="Counting the accounts this run deactivated…" errorTitle="Could not count what the undo would do">
          {(counts) => (
            <>
              <p className="confirm-text">
                {counts.reactivate > 0
                  ? `${accounts(counts.reactivate)} this run deactivated will be active again, with their last activity set to now.`
                  : 'Nothing to undo: no account is still inactive because of this run.'}
              </p>
              <LeftAlone counts={counts} />
              {counts.reactivate > 0 && <p className="muted small">Their old sessions stay signed out: each signs in again.</p>}
            </>
          )}
        </QueryState>
      </Dialog>
    </Card>
  );
}
