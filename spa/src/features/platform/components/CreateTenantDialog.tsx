import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';
import { errorMessage, isValidationError, nestedFieldErrors } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { PlatformTenant } from '@/lib/api/types';
import { useHost } from '@/lib/host';
import { useCreateTenant } from '../api/create-tenant';

function slug(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^[^a-z]+/, '');
  return s.slice(0, requestLimits.TenantCreateRequest.schema_name.maxLength);
}

const EMPTY = { name: '', schema_name: '', domain: '', username: 'admin', email: '', password: '' };

export function CreateTenantDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (tenant: PlatformTenant) => void }) {
  const { base_domain } = useHost();
  const create = useCreateTenant();
  const [form, setForm] = useState(EMPTY);
  const [schemaTouched, setSchemaTouched] = useState(false);

  const errors = isValidationError(create.error) ? nestedFieldErrors(create.error.body) : {};
  const set = (key: keyof typeof EMPTY, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const schema = schemaTouched ? form.schema_name : slug(form.name);
  // Host names cannot contain "_": the backend derives the subdomain with "-".
  const defaultDomain = `${(schema || 'schema').replace(/_/g, '-')}.${base_domain}`;

  const close = () => {
    create.reset();
    setForm(EMPTY);
    setSchemaTouched(false);
    onClose();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        name: form.name.trim(),
        schema_name: schema,
        ...(form.domain.trim() ? { domain: form.domain.trim() } : {}),
        admin: { username: form.username.trim(), email: form.email.trim(), password: form.password },
      },
      {
        onSuccess: (tenant) => {
          onCreated(tenant);
          close();
        },
      },
    );
  };

  const general = create.isError && !isValidationError(create.error);
  const otherErrors = Object.entries(errors).filter(
    ([k]) => !['name', 'schema_name', 'domain', 'admin.username', 'admin.email', 'admin.password', 'admin'].includes(k),
  );

  return (
    <Dialog
      open={open}
      onClose={close}
      title="New tenant"
      size="lg"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="create-tenant-form" variant="primary" busy={create.isPending}>
            Create tenant
          </Button>
        </>
      }
    >
      <form id="create-tenant-form" onSubmit={submit} className="form-stack" noValidate>
        {general && <Alert tone="error">{errorMessage(create.error)}</Alert>}
        {create.isError && !general && <Alert tone="error">The tenant was not created. Fix the highlighted fields.</Alert>}
        {otherErrors.length > 0 && (
          <Alert tone="error">
            {otherErrors.map(([k, m]) => (
              <div key={k}>{m.join(' ')}</div>
            ))}
          </Alert>
        )}
        <div className="grid-2">
          <Field label="Tenant name" errors={errors.name} hint="Shown to its admins, e.g. Acme Corp.">
            <input className="input" value={form.name} onChange={(e) => set('name', e.target.value)} required />
          </Field>
          <Field label="Schema name" errors={errors.schema_name} hint="Lowercase letters, digits and _; starts with a letter. Cannot change later.">
            <input
              className="input mono"
              value={schema}
              onChange={(e) => {
                setSchemaTouched(true);
                set('schema_name', e.target.value);
              }}
              required
              spellCheck={false}
            />
          </Field>
        </div>
        <Field label="Domain (optional)" errors={errors.domain} hint={`Defaults to ${defaultDomain}`}>
          <input className="input" value={form.domain} onChange={(e) => set('domain', e.target.value)} placeholder={defaultDomain} spellCheck={false} />
        </Field>
        <fieldset className="fieldset">
          <legend>First tenant admin</legend>
          {errors.admin && <p className="field-error">{errors.admin.join(' ')}</p>}
          <div className="grid-3">
            <Field label="Admin username" errors={errors['admin.username']}>
              <input className="input" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" required />
            </Field>
            <Field label="Admin email" errors={errors['admin.email']}>
              <input className="input" type="email" value={form.email} onChange={(e) => set('email', e.target.value)} autoComplete="off" required />
            </Field>
            <Field label="Admin password" errors={errors['admin.password']}>
              <input
                className="input"
                type="password"
                value={form.password}
                onChange={(e) => set('password', e.target.value)}
                autoComplete="new-password"
                required
              />
            </Field>
          </div>
        </fieldset>
      </form>
    </Dialog>
  );
}
