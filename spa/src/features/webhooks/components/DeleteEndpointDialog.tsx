import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { ApiError, errorMessage } from '@/lib/api/errors';
import type { WebhookEndpoint } from '@/lib/api/types';
import { useDeleteEndpoint } from '../api/delete-endpoint';

export function DeleteEndpointDialog({
  endpoint,
  onClose,
  onDeleted,
}: {
  endpoint: WebhookEndpoint | null;
  onClose: () => void;
  onDeleted: (endpoint: WebhookEndpoint) => void;
}) {
  const remove = useDeleteEndpoint();
  const close = () => {
    remove.reset();
    onClose();
  };
  const confirm = () => {
    if (!endpoint) return;
    remove.mutate(endpoint.id, {
      onSuccess: () => {
        onDeleted(endpoint);
        close();
      },
    });
  };
  const gone = remove.error instanceof ApiError && remove.error.status === 404;
  return (
    <Dialog
      open={endpoint !== null}
      onClose={close}
      title="Delete this endpoint?"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" onClick={confirm} busy={remove.isPending} disabled={gone}>
            Delete endpoint
          </Button>
        </>
      }
    >
      {endpoint && (
        <p>
          Nothing more is sent to <strong className="mono">{endpoint.url}</strong>, and its delivery log is deleted with it. Deliveries still pending are
          dropped.
        </p>
      )}
      {remove.isError && <Alert tone={gone ? 'warning' : 'error'}>{gone ? 'This endpoint was already deleted.' : errorMessage(remove.error)}</Alert>}
    </Dialog>
  );
}
