import { useId, useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';
import { errorMessage, isValidationError } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { ApiTokenCreated, Scope, ServiceAccount } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';
import { ROLE_SCOPES, SCOPE_LABEL } from '@/lib/labels/token';
import { ROLE_LABEL } from '@/lib/labels/role';
import { useCreateToken } from '../api/create-token';
import { useTokenMaxDays, useTokenOwners } from '../api/get-token-limits';
import { TokenSecret } from './TokenSecret';

export type TokenHolderRole = keyof typeof ROLE_SCOPES;

const DEFAULT_DAYS = 90;
const FIELDS = ['name', 'scopes', 'expires_in_days', 'owner'];
/** The owner select's value for "the caller": a service account's username cannot be empty. */
const SELF = '';

interface CreateTokenDialogProps {
  onClose: () => void;
  /** The caller's role here: what their own tokens may hold, and (admins) whether service accounts may own one. */
  role: TokenHolderRole;
  username: string;
  /** A service account to preselect as the owner (tenant admins). */
  initialOwner?: string;
}

/**
 * Make a token: name, owner (tenant admins: themselves or a service account), scopes the
 * owner's role allows, expiry in days. Once made, the dialog shows the secret, once: only
 * this dialog's state holds it (never the query cache), and the page mounts the dialog only
 * while it is open, so closing it forgets the secret and the next opening starts afresh.
 */
export function CreateTokenDialog({ onClose, role, username, initialOwner }: CreateTokenDialogProps) {
  const isAdmin = role === 'admin';
  const create = useCreateToken();
  // Admins and auditors may read the tenant's policy, hence its token_max_days; operators have the document's ceiling.
  const { maxDays } = useTokenMaxDays(role !== 'operator');
  const owners = useTokenOwners(isAdmin);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [name, setName] = useState('');
  const [owner, setOwner] = useState(isAdmin ? (initialOwner ?? SELF) : SELF);
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [days, setDays] = useState('');
  const scopesId = useId();

  const allowedFor = (who: string): readonly Scope[] => {
    if (who === SELF) return ROLE_SCOPES[role];
    // A service account's tokens are bounded by its own role, as the server checks; until
    // the accounts load, only what every role allows.
    const account: ServiceAccount | undefined = owners.data?.find((a) => a.username === who);
    return ROLE_SCOPES[account?.role ?? 'auditor'];
  };
  const allowed = allowedFor(owner);
  const defaultDays = Math.min(DEFAULT_DAYS, maxDays);
  const daysValue = days === '' ? String(defaultDays) : days;
  const expiresOn = expiryDate(daysValue, maxDays);

  const errors = isValidationError(create.error) ? create.error.fieldErrors : {};
  const otherErrors = Object.entries(errors).filter(([field]) => !FIELDS.includes(field));

  const toggle = (scope: Scope, checked: boolean) => setScopes((current) => (checked ? [...current, scope] : current.filter((s) => s !== scope)));
  const chooseOwner = (next: string) => {
    setOwner(next);
    const nowAllowed = allowedFor(next);
    setScopes((current) => current.filter((s) => nowAllowed.includes(s)));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        name: name.trim(),
        // In the order the list shows them, whatever order they were ticked in.
        scopes: allowed.filter((s) => scopes.includes(s)),
        expires_in_days: Number(daysValue),
        ...(owner === SELF ? {} : { owner }),
      },
      { onSuccess: setCreated },
    );
  };

  if (created) {
    return (
      <Dialog
        open
        onClose={onClose}
        title="Copy your new API token"
        size="lg"
        footer={
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        }
      >
        <TokenSecret token={created} />
      </Dialog>
    );
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title="Create an API token"
      size="lg"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="create-token-form" variant="primary" busy={create.isPending}>
            Create token
          </Button>
        </>
      }
    >
      <form id="create-token-form" onSubmit={submit} className="form-stack" noValidate>
        {create.isError && !isValidationError(create.error) && <Alert tone="error">{errorMessage(create.error)}</Alert>}
        {isValidationError(create.error) && (
          <Alert tone="error">
            The token was not created. Fix the highlighted fields.
            {otherErrors.map(([field, messages]) => (
              <div key={field}>{messages.join(' ')}</div>
            ))}
          </Alert>
        )}
        <Field label="Name" errors={errors.name} hint="What it is for, e.g. “Nightly report export”. Lists and the activity log show it.">
          <input
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={requestLimits.TokenCreateRequest.name.maxLength}
            autoComplete="off"
            required
          />
        </Field>
        {isAdmin && (
          <Field
            label="Owner"
            errors={errors.owner}
            hint={
              owners.isError
                ? `Could not load the service accounts: ${errorMessage(owners.error)}`
                : 'A service account’s tokens keep working when people leave.'
            }
          >
            <select className="input" value={owner} onChange={(e) => chooseOwner(e.target.value)}>
              <option value={SELF}>You ({username})</option>
              {/* A preselected owner stays listed while the accounts load, or if it is not (or no longer) one: the server says why. */}
              {initialOwner && !owners.data?.some((a) => a.username === initialOwner) && <option value={initialOwner}>{initialOwner} (service account)</option>}
              {owners.data?.map((account) => (
                <option key={account.username} value={account.username}>
                  {account.username} (service account, {ROLE_LABEL[account.role]})
                </option>
              ))}
            </select>
          </Field>
        )}
        <fieldset
          className={`fieldset ${errors.scopes?.length ? 'field-invalid' : ''}`}
          aria-describedby={`${scopesId}-hint${errors.scopes?.length ? ` ${scopesId}-error` : ''}`}
        >
          <legend>Scopes</legend>
          <p className="field-hint" id={`${scopesId}-hint`}>
            What the token may do. Only what {owner === SELF ? 'your role' : `the role of ${owner}`} allows is offered.
          </p>
          <div className="scope-list">
            {allowed.map((scope) => (
              <label key={scope} className="scope-option">
                <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.target.checked)} />
                <span>
                  <code className="mono">{scope}</code>
                  <span className="muted small block">{SCOPE_LABEL[scope]}</span>
                </span>
              </label>
            ))}
          </div>
          {!!errors.scopes?.length && (
            <p className="field-error" id={`${scopesId}-error`}>
              {errors.scopes.join(' ')}
            </p>
          )}
        </fieldset>
        <Field
          label="Expires in (days)"
          errors={errors.expires_in_days}
          hint={`From 1 to ${maxDays} days${role === 'operator' ? '' : ' (this tenant’s limit)'}.${expiresOn ? ` It expires ${expiresOn}.` : ''}`}
        >
          <input
            className="input input-narrow"
            type="number"
            inputMode="numeric"
            min={1}
            max={maxDays}
            step={1}
            value={daysValue}
            onChange={(e) => setDays(e.target.value)}
            required
          />
        </Field>
      </form>
    </Dialog>
  );
}

/** When a token made now for `days` days would expire, or null when `days` is no whole number in range. */
function expiryDate(days: string, maxDays: number): string | null {
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > maxDays) return null;
  return formatDateTime(new Date(Date.now() + n * 24 * 3600 * 1000).toISOString());
}
