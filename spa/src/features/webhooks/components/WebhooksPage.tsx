import { useState } from 'react';
import { Link } from 'react-router';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import type { WebhookEndpoint, WebhookEndpointCreated } from '@/lib/api/types';
import { usePageParam } from '@/lib/pagination';
import { READ_ONLY_NOTE, useCanChange } from '@/lib/role';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useEndpoints } from '../api/get-endpoints';
import { DeleteEndpointDialog } from './DeleteEndpointDialog';
import { EndpointFormDialog } from './EndpointFormDialog';
import { EnableButton, EndpointStatus } from './EndpointStatus';
import { eventsSummary } from '../lib/events';
import { SecretDialog } from './SecretDialog';

export function WebhooksPage() {
  const [page, setPage] = usePageParam();
  const endpoints = useEndpoints(page);
  const canChange = useCanChange();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<WebhookEndpoint | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  useDocumentTitle('Webhooks');

  const say = (message: string) => {
    setFailure(null);
    setNotice(message);
  };
  const add = canChange ? (
    <Button variant="primary" onClick={() => setAdding(true)}>
      Add endpoint
    </Button>
  ) : undefined;

  return (
    <>
      <PageHeader
        title="Webhooks"
        description={`Your other systems hear what the console does as it happens: each endpoint gets the events it asks for, signed (Standard Webhooks), retried for about a day.${canChange ? '' : ` ${READ_ONLY_NOTE}`}`}
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
      {failure !== null && <ErrorAlert error={failure} title="The endpoint was not changed" />}
      <Card>
        <QueryState
          query={endpoints}
          loading="Loading webhook endpoints…"
          errorTitle="Could not load webhook endpoints"
          isEmpty={(data) => data.count === 0}
          empty={
            <EmptyState title="No webhook endpoints" action={add}>
              {canChange ? 'Add the URL of a system that should hear when users are warned, deactivated or deleted.' : 'Nothing is sent to other systems.'}
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">Webhook endpoints</caption>
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">Events</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="hide-sm">
                        Description
                      </th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((endpoint) => (
                      <tr key={endpoint.id}>
                        <td className="cell-wrap">
                          <Link to={`/webhooks/${endpoint.id}`} className="mono">
                            {endpoint.url}
                          </Link>
                        </td>
                        <td className="cell-wrap">{eventsSummary(endpoint.events)}</td>
                        <td>
                          <EndpointStatus endpoint={endpoint} />
                        </td>
                        <td className="cell-wrap hide-sm">{endpoint.description || <span className="muted">—</span>}</td>
                        <td className="num nowrap">
                          {canChange && (
                            <span className="row-actions">
                              <EnableButton endpoint={endpoint} onDone={say} onError={setFailure} />
                              <Button size="sm" variant="ghost" onClick={() => setEditing(endpoint)} aria-label={`Change ${endpoint.url}`}>
                                Change
                              </Button>
                              <Button size="sm" variant="ghost" onClick={() => setDeleting(endpoint)} aria-label={`Delete ${endpoint.url}`}>
                                Delete
                              </Button>
                            </span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="endpoints" busy={endpoints.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
      <EndpointFormDialog
        open={adding}
        endpoint={null}
        onClose={() => setAdding(false)}
        onCreated={(endpoint) => {
          setCreated(endpoint);
          say(`${endpoint.url} was added.`);
          setPage(1);
        }}
      />
      <EndpointFormDialog
        open={editing !== null}
        endpoint={editing}
        onClose={() => setEditing(null)}
        onSaved={(endpoint) => say(`${endpoint.url} was changed.`)}
      />
      <SecretDialog secret={created?.secret ?? null} title="The endpoint’s signing secret" onClose={() => setCreated(null)}>
        <p>
          Every request to <strong className="mono">{created?.url}</strong> is signed with this secret. Your receiver verifies the{' '}
          <code>webhook-signature</code> header with it.
        </p>
      </SecretDialog>
      <DeleteEndpointDialog endpoint={deleting} onClose={() => setDeleting(null)} onDeleted={(endpoint) => say(`${endpoint.url} was deleted.`)} />
    </>
  );
}
