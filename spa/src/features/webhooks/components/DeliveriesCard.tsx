import { Fragment, useState } from 'react';
import { ErrorAlert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import type { Delivery, DeliveryStatus, WebhookEndpoint } from '@/lib/api/types';
import { formatDateTime, formatRelative } from '@/lib/format';
import { DELIVERY_STATUS_LABEL } from '@/lib/labels/delivery-status';
import { deliveryTypeLabel } from '@/lib/labels/webhook-event';
import { usePageParam } from '@/lib/pagination';
import { useCanChange } from '@/lib/role';
import { useDeliveries } from '../api/get-deliveries';
import { useReplayDelivery } from '../api/replay-delivery';

const STATUS_TONE: Record<DeliveryStatus, 'info' | 'success' | 'danger'> = { pending: 'info', delivered: 'success', failed: 'danger' };

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return (
    <span className={`badge badge-${STATUS_TONE[status]} badge-status`}>
      <span className={`dot ${status === 'pending' ? 'dot-pulse' : ''}`} aria-hidden="true" />
      {DELIVERY_STATUS_LABEL[status]}
    </span>
  );
}

/** The endpoint's delivery log, newest first; refetched every few seconds while a delivery is pending. */
export function DeliveriesCard({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [page, setPage] = usePageParam();
  const deliveries = useDeliveries(endpoint.id, page);
  const canChange = useCanChange();
  const replay = useReplayDelivery();
  const [open, setOpen] = useState<Set<number>>(new Set());
  const [replayed, setReplayed] = useState<{ from: number; to: number } | null>(null);

  const toggle = (id: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const replayOne = (delivery: Delivery) => {
    setReplayed(null);
    replay.mutate(
      { endpointId: endpoint.id, deliveryId: delivery.id },
      {
        onSuccess: (accepted) => {
          setReplayed({ from: delivery.id, to: accepted.delivery_id });
          setPage(1);
        },
      },
    );
  };

  return (
    <Card title="Deliveries">
      {replayed && (
        <p role="status" className="muted">
          Delivery #{replayed.from} is queued again as delivery #{replayed.to}, with the same event id.
        </p>
      )}
      {replay.isError && <ErrorAlert error={replay.error} title="The delivery was not replayed" />}
      <QueryState
        query={deliveries}
        loading="Loading deliveries…"
        errorTitle="Could not load deliveries"
        isEmpty={(data) => data.count === 0}
        empty={
          <EmptyState title="Nothing delivered yet">
            {canChange ? 'Send a test event to see a delivery here.' : 'No event was sent to this endpoint in the last 30 days.'}
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Deliveries, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Delivery</th>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col" className="num">
                      Last answer
                    </th>
                    <th scope="col">Created</th>
                    <th scope="col" className="hide-sm">
                      Delivered
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.results.map((delivery) => {
                    const expanded = open.has(delivery.id);
                    const detailsId = `delivery-${delivery.id}-attempts`;
                    return (
                      <Fragment key={delivery.id}>
                        <tr>
                          <td>
                            <Button size="sm" variant="ghost" aria-expanded={expanded} aria-controls={detailsId} onClick={() => toggle(delivery.id)}>
                              <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> #{delivery.id}
                            </Button>
                          </td>
                          <td>
                            {deliveryTypeLabel(delivery.type)}
                            <span className="mono muted small block">{delivery.event_id}</span>
                          </td>
                          <td>
                            <DeliveryStatusBadge status={delivery.status} />
                            {delivery.status === 'pending' && delivery.next_attempt_at && (
                              <span className="muted small block">next try {formatRelative(delivery.next_attempt_at)}</span>
                            )}
                          </td>
                          <td className="num">{delivery.attempts}</td>
                          <td className="num">
                            {delivery.last_status_code ?? (delivery.last_error ? <Badge tone="danger">No answer</Badge> : <span className="muted">—</span>)}
                          </td>
                          <td>{formatDateTime(delivery.created_at)}</td>
                          <td className="hide-sm">{formatDateTime(delivery.delivered_at)}</td>
                          <td className="num">
                            {canChange && (
                              <Button
                                size="sm"
                                onClick={() => replayOne(delivery)}
                                busy={replay.isPending && replay.variables.deliveryId === delivery.id}
                                disabled={!endpoint.enabled}
                                aria-label={`Replay delivery #${delivery.id}`}
                              >
                                Replay
                              </Button>
                            )}
                          </td>
                        </tr>
                        {expanded && (
                          <tr id={detailsId} className="row-details">
                            <td colSpan={8}>
                              <Attempts delivery={delivery} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pagination data={data} page={page} onPage={setPage} noun="deliveries" one="delivery" busy={deliveries.isFetching} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

function Attempts({ delivery }: { delivery: Delivery }) {
  if (!delivery.attempt_log.length) return <p className="muted small">Not attempted yet.</p>;
  return (
    <ol className="attempts" aria-label={`Attempts of delivery #${delivery.id}`}>
      {delivery.attempt_log.map((attempt, i) => (
        <li key={`${attempt.at}-${i}`}>
          <p className="small">
            <strong>Attempt {i + 1}</strong> · {formatDateTime(attempt.at)} · {attempt.status_code === null ? 'no answer' : `HTTP ${attempt.status_code}`} ·{' '}
            {attempt.duration_ms} ms
          </p>
          {attempt.error && <p className="small field-error">{attempt.error}</p>}
          {attempt.response_excerpt ? <pre className="excerpt">{attempt.response_excerpt}</pre> : <p className="muted small">Empty response body.</p>}
        </li>
      ))}
    </ol>
  );
}
