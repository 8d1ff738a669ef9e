import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import type { WebhookEndpoint } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';
import { useUpdateEndpoint } from '../api/update-endpoint';

/** Enabled, or disabled with the reason the server gives (a person, or 24 h of failures). */
export function EndpointStatus({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled) {
    return (
      <>
        <Badge tone="success">Enabled</Badge>
        {endpoint.failing_since && <span className="muted small block">Failing since {formatDateTime(endpoint.failing_since)}</span>}
      </>
    );
  }
  return (
    <>
      <Badge tone="danger">Disabled</Badge>
      {endpoint.disabled_reason && <span className="small block">{endpoint.disabled_reason}</span>}
    </>
  );
}

/**
 * Disable (nothing more is sent) or enable again, also an endpoint the server disabled for
 * failing: that clears its failure streak. Reversible, so no confirmation.
 */
export function EnableButton({
  endpoint,
  onDone,
  onError,
}: {
  endpoint: WebhookEndpoint;
  onDone: (message: string) => void;
  onError: (error: unknown) => void;
}) {
  const update = useUpdateEndpoint();
  const enable = !endpoint.enabled;
  return (
    <Button
      size="sm"
      busy={update.isPending}
      aria-label={`${enable ? 'Enable' : 'Disable'} ${endpoint.url}`}
      onClick={() =>
        update.mutate(
          { id: endpoint.id, change: { enabled: enable } },
          {
            onSuccess: (saved) =>
              onDone(enable ? `${saved.url} is enabled again. Replay what it missed from its deliveries.` : `${saved.url} is disabled: nothing is sent to it.`),
            onError,
          },
        )
      }
    >
      {enable ? 'Enable' : 'Disable'}
    </Button>
  );
}
