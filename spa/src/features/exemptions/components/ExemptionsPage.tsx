import { useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Dialog } from '@/components/ui/Dialog';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { ApiError, errorMessage } from '@/lib/api/errors';
import type { Exemption } from '@/lib/api/types';
import { formatDateTime, formatRelative } from '@/lib/format';
import { usePageParam } from '@/lib/pagination';
import { READ_ONLY_NOTE, useCanChange } from '@/lib/role';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useDeleteExemption } from '../api/delete-exemption';
import { useExemptions } from '../api/get-exemptions';
import { AddExemptionDialog } from './AddExemptionDialog';

export function ExemptionsPage() {
  const [page, setPage] = usePageParam();
  const exemptions = useExemptions(page);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Exemption | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canChange = useCanChange();
  useDocumentTitle('Exemptions');

  const add = canChange ? (
    <Button variant="primary" onClick={() => setAdding(true)}>
      Add exemption
    </Button>
  ) : undefined;

  return (
    <>
      <PageHeader
        title="Exemptions"
        description={`Users no cleanup run may touch, whatever the policy says — until their exemption expires.${canChange ? '' : ` ${READ_ONLY_NOTE}`}`}
        actions={add}
      />
      {notice && (
        <Alert
          tone="success"
          action={
            <Button size="sm" variant="ghost" onClick={() => setNotice(null)} aria-label="Dismiss">
              ✕
            </Button>
          }
        >
          {notice}
        </Alert>
      )}
      <Card>
        <QueryState
          query={exemptions}
          loading="Loading exemptions…"
          errorTitle="Could not load exemptions"
          isEmpty={(data) => data.count === 0}
          empty={
            <EmptyState title="Nobody is exempt" action={add}>
              {canChange ? 'Exempt a user who must never be deactivated or deleted, such as someone on long leave.' : 'No user is exempt from cleanup runs.'}
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">Exempt users</caption>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Until</th>
                      <th scope="col" className="hide-sm">
                        Added
                      </th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((exemption) => (
                      <tr key={exemption.id} className={exemption.expired ? 'row-expired' : undefined}>
                        <td className="strong">
                          {exemption.username}
                          {exemption.expired && (
                            <>
                              {' '}
                              <Badge tone="neutral" title="Past its end date: runs may remove this user again">
                                Expired
                              </Badge>
                            </>
                          )}
                        </td>
                        <td className="cell-wrap">{exemption.reason}</td>
                        <td>
                          {exemption.expires_at ? (
                            <>
                              {formatDateTime(exemption.expires_at)}
                              <span className="muted small block">{formatRelative(exemption.expires_at)}</span>
                            </>
                          ) : (
                            <span className="muted">No end</span>
                          )}
                        </td>
                        <td className="hide-sm">
                          {formatDateTime(exemption.created_at)}
                          <span className="muted small block">by {exemption.created_by}</span>
                        </td>
                        <td className="num">
                          {canChange && (
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() => setRemoving(exemption)}
                              aria-label={`Remove the exemption of ${exemption.username}`}
                            >
                              Remove
                            </Button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="exemptions" busy={exemptions.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
      <AddExemptionDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(exemption) => {
          setNotice(`${exemption.username} is exempt from cleanup${exemption.expires_at ? ` until ${formatDateTime(exemption.expires_at)}` : ''}.`);
          setPage(1);
        }}
      />
      <RemoveExemptionDialog
        exemption={removing}
        onClose={() => setRemoving(null)}
        onRemoved={(exemption) => setNotice(`The exemption of ${exemption.username} was removed.`)}
      />
    </>
  );
}

function RemoveExemptionDialog({
  exemption,
  onClose,
  onRemoved,
}: {
  exemption: Exemption | null;
  onClose: () => void;
  onRemoved: (exemption: Exemption) => void;
}) {
  const remove = useDeleteExemption();
  const close = () => {
    remove.reset();
    onClose();
  };
  const confirm = () => {
    if (!exemption) return;
    remove.mutate(exemption.id, {
      onSuccess: () => {
        onRemoved(exemption);
        close();
      },
    });
  };
  const gone = remove.error instanceof ApiError && remove.error.status === 404;
  return (
    <Dialog
      open={exemption !== null}
      onClose={close}
      title="Remove this exemption?"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" onClick={confirm} busy={remove.isPending} disabled={gone}>
            Remove exemption
          </Button>
        </>
      }
    >
      {exemption && (
        <p>
          <strong>{exemption.username}</strong> will be treated like everyone else again: if inactive, the next cleanup run may remove this account, as the
          policy says.
        </p>
      )}
      {remove.isError && <Alert tone={gone ? 'warning' : 'error'}>{gone ? 'This exemption was already removed.' : errorMessage(remove.error)}</Alert>}
    </Dialog>
  );
}
