import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { QueryState } from '@/components/ui/QueryState';
import { ApiError } from '@/lib/api/errors';
import type { WebhookEndpoint, WebhookSecret } from '@/lib/api/types';
import { formatDateTime, formatRelative } from '@/lib/format';
import { READ_ONLY_NOTE, useCanChange } from '@/lib/role';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useEndpoint } from '../api/get-endpoint';
import { useRotateSecret } from '../api/rotate-secret';
import { useSendTestEvent } from '../api/send-test-event';
import { DeleteEndpointDialog } from './DeleteEndpointDialog';
import { DeliveriesCard } from './DeliveriesCard';
import { EndpointFormDialog } from './EndpointFormDialog';
import { EnableButton, EndpointStatus } from './EndpointStatus';
import { eventsSummary } from '../lib/events';
import { SecretDialog } from './SecretDialog';

export function WebhookDetailPage() {
  const params = useParams();
  const id = Number(params.id);
  const valid = Number.isInteger(id) && id > 0;
  const endpoint = useEndpoint(valid ? id : null);

  if (!valid || (endpoint.error instanceof ApiError && endpoint.error.status === 404)) {
    return (
      <>
        <PageHeader title="Endpoint not found" />
        <Card>
          <EmptyState title="This webhook endpoint does not exist" action={<Link to="/webhooks">Back to webhooks</Link>}>
            It may have been deleted, or the link is wrong.
          </EmptyState>
        </Card>
      </>
    );
  }
  return (
    <QueryState query={endpoint} loading="Loading the endpoint…" errorTitle="Could not load this endpoint">
      {(data) => <EndpointDetail endpoint={data} />}
    </QueryState>
  );
}

function EndpointDetail({ endpoint }: { endpoint: WebhookEndpoint }) {
  useDocumentTitle(`Webhook ${endpoint.url}`);
  const canChange = useCanChange();
  const navigate = useNavigate();
  const test = useSendTestEvent();
  const rotate = useRotateSecret();
  const [rotated, setRotated] = useState<WebhookSecret | null>(null);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ title: string; error: unknown } | null>(null);

  const say = (message: string) => {
    setFailure(null);
    setNotice(message);
  };
  const sendTest = () =>
    test.mutate(endpoint.id, {
      onSuccess: (accepted) => say(`A test event is queued (delivery #${accepted.delivery_id}). Its outcome shows in the deliveries below.`),
      onError: (error) => setFailure({ title: 'The test event was not sent', error }),
    });
  const rotateSecret = () =>
    rotate.mutate(endpoint.id, {
      onSuccess: (secret) => {
        setRotated(secret);
        say('The secret was rotated.');
      },
      onError: (error) => setFailure({ title: 'The secret was not rotated', error }),
    });

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/webhooks">Webhooks</Link> <span aria-hidden="true">/</span> <span className="mono">{endpoint.url}</span>
      </nav>
      <PageHeader
        title="Webhook endpoint"
        description={<span className="mono">{endpoint.url}</span>}
        actions={
          canChange && (
            <>
              <Button variant="primary" onClick={sendTest} busy={test.isPending} disabled={!endpoint.enabled}>
                Send a test event
              </Button>
              <Button onClick={rotateSecret} busy={rotate.isPending}>
                Rotate secret
              </Button>
            </>
          )
        }
      />
      {!canChange && <p className="muted">{READ_ONLY_NOTE}</p>}
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
      {failure && <ErrorAlert error={failure.error} title={failure.title} />}
      <Card
        title="Endpoint"
        actions={
          canChange && (
            <span className="row-actions">
              <EnableButton endpoint={endpoint} onDone={say} onError={(error) => setFailure({ title: 'The endpoint was not changed', error })} />
              <Button size="sm" onClick={() => setEditing(true)}>
                Change
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            </span>
          )
        }
      >
        <dl className="kv kv-text">
          <div>
            <dt>Status</dt>
            <dd>
              <EndpointStatus endpoint={endpoint} />
            </dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{eventsSummary(endpoint.events)}</dd>
          </div>
          <div>
            <dt>Description</dt>
            <dd>{endpoint.description || '—'}</dd>
          </div>
          <div>
            <dt>Added</dt>
            <dd>{formatDateTime(endpoint.created_at)}</dd>
          </div>
          {endpoint.secret_rotation_ends_at && (
            <div>
              <dt>Previous secret</dt>
              <dd>
                Still signs beside the new one until {formatDateTime(endpoint.secret_rotation_ends_at)} ({formatRelative(endpoint.secret_rotation_ends_at)})
              </dd>
            </div>
          )}
        </dl>
        {!endpoint.enabled && canChange && <p className="muted small">A disabled endpoint gets no events, test or replay; enable it first.</p>}
      </Card>
      <DeliveriesCard endpoint={endpoint} />
      <EndpointFormDialog open={editing} endpoint={endpoint} onClose={() => setEditing(false)} onSaved={() => say('The endpoint was changed.')} />
      <SecretDialog secret={rotated?.secret ?? null} title="The endpoint’s new signing secret" onClose={() => setRotated(null)}>
        <p>
          Requests are now signed with this secret and, until {formatDateTime(rotated?.secret_rotation_ends_at)}, also with the previous one: put the new secret
          in your receiver before then.
        </p>
      </SecretDialog>
      <DeleteEndpointDialog endpoint={deleting ? endpoint : null} onClose={() => setDeleting(false)} onDeleted={() => void navigate('/webhooks')} />
    </>
  );
}
