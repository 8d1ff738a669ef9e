import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';
import { errorMessage, isValidationError } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { Exemption } from '@/lib/api/types';
import { startOfLocalDay } from '@/lib/format';
import { useCreateExemption } from '../api/create-exemption';

const EMPTY = { username: '', reason: '', expiresOn: '' };
const FIELDS = ['username', 'reason', 'expires_at'];

export function AddExemptionDialog({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (exemption: Exemption) => void }) {
  const create = useCreateExemption();
  const [form, setForm] = useState(EMPTY);
  const set = (key: keyof typeof EMPTY, value: string) => setForm((f) => ({ ...f, [key]: value }));

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
      {
        username: form.username.trim(),
        reason: form.reason,
        expires_at: form.expiresOn ? startOfLocalDay(form.expiresOn) : null,
      },
      {
        onSuccess: (exemption) => {
          onAdded(exemption);
          close();
        },
      },
    );
  };

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Exempt a user"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="add-exemption-form" variant="primary" busy={create.isPending}>
            Add exemption
          </Button>
        </>
      }
    >
      <form id="add-exemption-form" onSubmit={submit} className="form-stack" noValidate>
        {create.isError && !isValidationError(create.error) && <Alert tone="error">{errorMessage(create.error)}</Alert>}
        {isValidationError(create.error) && (
          <Alert tone="error">
            The exemption was not added. Fix the highlighted fields.
            {otherErrors.map(([field, messages]) => (
              <div key={field}>{messages.join(' ')}</div>
            ))}
          </Alert>
        )}
        <Field label="Username" errors={errors.username} hint="Exactly as the user signs in.">
          <input className="input" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" spellCheck={false} required />
        </Field>
        <Field label="Reason" errors={errors.reason} hint="Why no cleanup may touch this account, e.g. “On sabbatical until March”.">
          <textarea
            className="input"
            rows={3}
            maxLength={requestLimits.ExemptionCreateRequest.reason.maxLength}
            value={form.reason}
            onChange={(e) => set('reason', e.target.value)}
            required
          />
        </Field>
        <Field label="Exempt until (optional)" errors={errors.expires_at} hint="The exemption ends as this day begins. Leave empty for no end.">
          <input className="input input-narrow" type="date" value={form.expiresOn} onChange={(e) => set('expiresOn', e.target.value)} />
        </Field>
      </form>
    </Dialog>
  );
}
