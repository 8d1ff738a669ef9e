import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Alert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import type { ApiToken } from '@/lib/api/types';
import { formatDateTime, formatRelative } from '@/lib/format';
import { TOKEN_REVOKED_REASON_LABEL, TOKEN_STATUS_LABEL } from '@/lib/labels/token';
import { usePageParam } from '@/lib/pagination';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useTokens } from '../api/get-tokens';
import { CreateTokenDialog, type TokenHolderRole } from './CreateTokenDialog';
import { RevokeTokenDialog } from './RevokeTokenDialog';

/** An active token this close to its expiry is flagged, as the owner's expiry notice is sent. */
const EXPIRES_SOON_MS = 7 * 24 * 3600 * 1000;
/** `?owner=<service account>` opens the create dialog for it (the service accounts page links here). */
const OWNER_PARAM = 'owner';

/**
 * The signed-in user's API tokens (a tenant admin's list has the service accounts' too; an
 * operator's on the root host holds platform scopes): create, see last use and expiry, revoke.
 */
export function TokensPage({ role, username }: { role: TokenHolderRole; username: string }) {
  const [page, setPage] = usePageParam();
  const tokens = useTokens(page);
  const [params, setParams] = useSearchParams();
  const ownerParam = role === 'admin' ? params.get(OWNER_PARAM) : null;
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const showOwner = role === 'admin';
  // "Expires soon" as of when the page opened: a render must not read the clock.
  const [openedAt] = useState(() => Date.now());
  useDocumentTitle('API tokens');

  const closeCreate = () => {
    setCreating(false);
    if (ownerParam !== null)
      setParams(
        (prev) => {
          const out = new URLSearchParams(prev);
          out.delete(OWNER_PARAM);
          return out;
        },
        { replace: true },
      );
  };

  const create = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      Create token
    </Button>
  );

  return (
    <>
      <PageHeader
        title="API tokens"
        description={
          <>
            Tokens let scripts call the API as <code className="mono">Authorization: Bearer cc_…</code>, limited to the scopes you give them, until they expire
            or are revoked.{role === 'admin' ? ' Your list includes the service accounts’ tokens.' : ''}
          </>
        }
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
          query={tokens}
          loading="Loading API tokens…"
          errorTitle="Could not load API tokens"
          isEmpty={(data) => data.count === 0}
          empty={
            <EmptyState title="No API tokens yet" action={create}>
              Create a token for a script that calls the API: you choose what it may do and when it expires.
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">API tokens</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Scopes</th>
                      {showOwner && <th scope="col">Owner</th>}
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      <th scope="col" className="hide-sm">
                        Created
                      </th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((token) => (
                      <TokenRow key={token.id} token={token} now={openedAt} showOwner={showOwner} onRevoke={() => setRevoking(token)} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="tokens" busy={tokens.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
      {(creating || ownerParam !== null) && <CreateTokenDialog role={role} username={username} initialOwner={ownerParam ?? undefined} onClose={closeCreate} />}
      <RevokeTokenDialog token={revoking} onClose={() => setRevoking(null)} onRevoked={(token) => setNotice(`The token “${token.name}” was revoked.`)} />
    </>
  );
}

function TokenRow({ token, now, showOwner, onRevoke }: { token: ApiToken; now: number; showOwner: boolean; onRevoke: () => void }) {
  const active = token.status === 'active';
  const expiresSoon = active && new Date(token.expires_at).getTime() - now < EXPIRES_SOON_MS;
  return (
    <tr className={active ? undefined : 'row-expired'}>
      <td>
        <span className="strong">{token.name}</span>
        <span className="muted small block mono">cc_{token.prefix}_…</span>
        {!active && (
          <Badge tone="neutral" title={token.revoked_reason ? TOKEN_REVOKED_REASON_LABEL[token.revoked_reason] : undefined}>
            {TOKEN_STATUS_LABEL[token.status]}
          </Badge>
        )}
      </td>
      <td className="cell-wrap">
        <ul className="scope-tags" aria-label={`Scopes of ${token.name}`}>
          {token.scopes.map((scope) => (
            <li key={scope} className="mono small">
              {scope}
            </li>
          ))}
        </ul>
      </td>
      {showOwner && (
        <td>
          {token.owner}
          {token.owner_kind === 'service' && <span className="muted small block">service account</span>}
        </td>
      )}
      <td>
        {token.last_used_at ? (
          <time dateTime={token.last_used_at} title={formatDateTime(token.last_used_at)}>
            {formatRelative(token.last_used_at)}
          </time>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        <time dateTime={token.expires_at} title={formatDateTime(token.expires_at)}>
          {formatDateTime(token.expires_at)}
        </time>
        <span className="muted small block">{formatRelative(token.expires_at)}</span>
        {expiresSoon && (
          <Badge tone="warning" title="Its owner has been told; create a new token before it expires">
            Expires soon
          </Badge>
        )}
      </td>
      <td className="hide-sm">
        {formatDateTime(token.created_at)}
        <span className="muted small block">by {token.created_by}</span>
      </td>
      <td className="num">
        {active && (
          <Button size="sm" variant="ghost" onClick={onRevoke} aria-label={`Revoke the token ${token.name}`}>
            Revoke
          </Button>
        )}
      </td>
    </tr>
  );
}
