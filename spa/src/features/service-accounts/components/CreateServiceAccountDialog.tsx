import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';
import { errorMessage, isValidationError } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { ServiceAccount, TenantRole } from '@/lib/api/types';
import { ROLE_LABEL } from '@/lib/labels/role';
import { useCreateServiceAccount } from '../api/create-service-account';

const EMPTY = { username: '', name: '', role: 'admin' as TenantRole };
const FIELDS = ['username', 'name', 'role'];
const LIMITS = requestLimits.ServiceAccountCreateRequest;

export function CreateServiceAccountDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (account: ServiceAccount) => void }) {
  const create = useCreateServiceAccount();
  const [form, setForm] = useState(EMPTY);

  const errors = isValidationError(create.error) ? create.error.fieldErrors : {};
  const otherErrors = Object.entries(errors).filter(([field]) => !FIELDS.includes(field));

  const close = () => {
    create.reset();
    setForm(EMPTY);
    onClose();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { username: form.username.trim(), name: form.name.trim(), role: form.role },
      {
        onSuccess: (account) => {
          onCreated(account);
          close();
        },
      },
    );
  };

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create a service account"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="create-service-account-form" variant="primary" busy={create.isPending}>
            Create service account
          </Button>
        </>
      }
    >
      <form id="create-service-account-form" onSubmit={submit} className="form-stack" noValidate>
        {create.isError && !isValidationError(create.error) && <Alert tone="error">{errorMessage(create.error)}</Alert>}
        {isValidationError(create.error) && (
          <Alert tone="error">
            The service account was not created. Fix the highlighted fields.
            {otherErrors.map(([field, messages]) => (
              <div key={field}>{messages.join(' ')}</div>
            ))}
          </Alert>
        )}
        <Field label="Username" errors={errors.username} hint="Letters, digits and @ . + - _ only, e.g. “backup-bot”.">
          <input
            className="input"
            value={form.username}
            onChange={(e) => setForm((f) => ({ ...f, username: e.target.value }))}
            maxLength={LIMITS.username.maxLength}
            autoComplete="off"
            spellCheck={false}
            required
          />
        </Field>
        <Field label="Name (optional)" errors={errors.name} hint="What it is, e.g. “Nightly backup job”.">
          <input className="input" value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} maxLength={150} autoComplete="off" />
        </Field>
        <Field label="Role" errors={errors.role} hint="The most its tokens may ever do; each token holds only the scopes it is given.">
          <select className="input" value={form.role} onChange={(e) => setForm((f) => ({ ...f, role: e.target.value as TenantRole }))}>
            {(Object.keys(ROLE_LABEL) as TenantRole[]).map((role) => (
              <option key={role} value={role}>
                {ROLE_LABEL[role]}
              </option>
            ))}
          </select>
        </Field>
      </form>
    </Dialog>
  );
}
