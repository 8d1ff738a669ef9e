import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { ApiError, errorMessage } from '@/lib/api/errors';
import type { ApiToken } from '@/lib/api/types';
import { useRevokeToken } from '../api/revoke-token';

export function RevokeTokenDialog({ token, onClose, onRevoked }: { token: ApiToken | null; onClose: () => void; onRevoked: (token: ApiToken) => void }) {
  const revoke = useRevokeToken();
  const close = () => {
    revoke.reset();
    onClose();
  };
  const confirm = () => {
    if (!token) return;
    revoke.mutate(token.id, {
      onSuccess: () => {
        onRevoked(token);
        close();
      },
    });
  };
  const gone = revoke.error instanceof ApiError && revoke.error.status === 404;
  return (
    <Dialog
      open={token !== null}
      onClose={close}
      title={token ? `Revoke the token “${token.name}”?` : 'Revoke this token?'}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" onClick={confirm} busy={revoke.isPending} disabled={gone}>
            Revoke token
          </Button>
        </>
      }
    >
      {token && (
        <p>
          Every script that sends <code className="mono">cc_{token.prefix}_…</code> ({token.owner}’s token <strong>{token.name}</strong>) is refused from now
          on, with 401. A revoked token cannot be restored: to go on, create another.
        </p>
      )}
      {revoke.isError && (
        <Alert tone={gone ? 'warning' : 'error'}>{gone ? 'This token is gone: it was deleted with its owner.' : errorMessage(revoke.error)}</Alert>
      )}
    </Dialog>
  );
}
