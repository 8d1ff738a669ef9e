import { useState } from 'react';
import { Link } from 'react-router';
import { Alert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Dialog } from '@/components/ui/Dialog';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { ApiError, errorMessage } from '@/lib/api/errors';
import type { ServiceAccount } from '@/lib/api/types';
import { formatDateTime, formatNumber } from '@/lib/format';
import { ROLE_LABEL } from '@/lib/labels/role';
import { usePageParam } from '@/lib/pagination';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useDeleteServiceAccount } from '../api/delete-service-account';
import { useServiceAccounts } from '../api/get-service-accounts';
import { CreateServiceAccountDialog } from './CreateServiceAccountDialog';

/** The API tokens page opens its create dialog for `?owner=<username>`. */
const tokenFor = (username: string) => `/tokens?${new URLSearchParams({ owner: username }).toString()}`;

/** A tenant admin's service accounts: users without a password that act only through API tokens. */
export function ServiceAccountsPage() {
  const [page, setPage] = usePageParam();
  const accounts = useServiceAccounts(page);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ServiceAccount | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useDocumentTitle('Service accounts');

  const create = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      Create service account
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Service accounts"
        description="Accounts for scripts, not people: no password, no sign-in, never removed for inactivity. They act only through their API tokens, which keep working when people leave."
        actions={create}
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
          query={accounts}
          loading="Loading service accounts…"
          errorTitle="Could not load service accounts"
          isEmpty={(data) => data.count === 0}
          empty={
            <EmptyState title="No service accounts yet" action={create}>
              Create one for each script or integration, then give it API tokens with only the scopes it needs.
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">Service accounts</caption>
                  <thead>
                    <tr>
                      <th scope="col">Username</th>
                      <th scope="col">Role</th>
                      <th scope="col" className="num">
                        Active tokens
                      </th>
                      <th scope="col" className="hide-sm">
                        Created
                      </th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((account) => (
                      <tr key={account.id} className={account.is_active ? undefined : 'row-expired'}>
                        <td>
                          <span className="strong">{account.username}</span>
                          {account.name && <span className="muted small block">{account.name}</span>}
                          {!account.is_active && <Badge tone="neutral">Deactivated</Badge>}
                        </td>
                        <td>{ROLE_LABEL[account.role]}</td>
                        <td className="num">{formatNumber(account.tokens_active)}</td>
                        <td className="hide-sm">{formatDateTime(account.date_joined)}</td>
                        <td className="num actions-cell">
                          {account.is_active && (
                            <Link className="btn btn-ghost btn-sm" to={tokenFor(account.username)} aria-label={`Create a token for ${account.username}`}>
                              Create token
                            </Link>
                          )}
                          <Button size="sm" variant="ghost" onClick={() => setDeleting(account)} aria-label={`Delete ${account.username}`}>
                            Delete
                          </Button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="service accounts" busy={accounts.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
      <CreateServiceAccountDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(account) => {
          setNotice(`The service account ${account.username} was created. Give it a token with “Create token”.`);
          setPage(1);
        }}
      />
      <DeleteServiceAccountDialog
        account={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(account) => setNotice(`The service account ${account.username} and its tokens were deleted.`)}
      />
    </>
  );
}

function DeleteServiceAccountDialog({
  account,
  onClose,
  onDeleted,
}: {
  account: ServiceAccount | null;
  onClose: () => void;
  onDeleted: (account: ServiceAccount) => void;
}) {
  const remove = useDeleteServiceAccount();
  const close = () => {
    remove.reset();
    onClose();
  };
  const confirm = () => {
    if (!account) return;
    remove.mutate(account.username, {
      onSuccess: () => {
        onDeleted(account);
        close();
      },
    });
  };
  const gone = remove.error instanceof ApiError && remove.error.status === 404;
  return (
    <Dialog
      open={account !== null}
      onClose={close}
      title={account ? `Delete the service account ${account.username}?` : 'Delete this service account?'}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" onClick={confirm} busy={remove.isPending} disabled={gone}>
            Delete service account
          </Button>
        </>
      }
    >
      {account && (
        <p>
          Its tokens die with it:{' '}
          {account.tokens_active === 0
            ? 'it has no active token now, and no script can use it again.'
            : `${account.tokens_active === 1 ? 'its active token stops' : `its ${formatNumber(account.tokens_active)} active tokens stop`} working at once, and scripts that send ${account.tokens_active === 1 ? 'it' : 'them'} are refused with 401.`}{' '}
          This cannot be undone.
        </p>
      )}
      {remove.isError && <Alert tone={gone ? 'warning' : 'error'}>{gone ? 'This service account was already deleted.' : errorMessage(remove.error)}</Alert>}
    </Dialog>
  );
}
