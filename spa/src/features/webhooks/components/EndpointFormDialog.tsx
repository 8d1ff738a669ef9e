import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';
import { errorMessage, isValidationError } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { WebhookEndpoint, WebhookEndpointCreated, WebhookEventType } from '@/lib/api/types';
import { useCreateEndpoint } from '../api/create-endpoint';
import { useUpdateEndpoint } from '../api/update-endpoint';
import { eventsToSend } from '../lib/events';
import { EventPicker } from './EventPicker';

const FIELDS = ['url', 'events', 'description'];

interface Form {
  url: string;
  events: WebhookEventType[];
  description: string;
}

const formOf = (endpoint: WebhookEndpoint | null): Form =>
  endpoint ? { url: endpoint.url, events: endpoint.events, description: endpoint.description } : { url: '', events: ['*'], description: '' };

/**
 * Add an endpoint (`endpoint` null) or change one. Every field's problem from one 400 shows
 * beside its field: a refused address (SSRF) on the URL, an empty choice on the events.
 */
export function EndpointFormDialog({
  open,
  endpoint,
  onClose,
  onCreated,
  onSaved,
}: {
  open: boolean;
  endpoint: WebhookEndpoint | null;
  onClose: () => void;
  onCreated?: (created: WebhookEndpointCreated) => void;
  onSaved?: (endpoint: WebhookEndpoint) => void;
}) {
  // Mounted only while open (below), so each opening starts from the endpoint as it is.
  if (!open) return null;
  return <EndpointForm endpoint={endpoint} onClose={onClose} onCreated={onCreated} onSaved={onSaved} />;
}

function EndpointForm({
  endpoint,
  onClose,
  onCreated,
  onSaved,
}: {
  endpoint: WebhookEndpoint | null;
  onClose: () => void;
  onCreated?: (created: WebhookEndpointCreated) => void;
  onSaved?: (endpoint: WebhookEndpoint) => void;
}) {
  const create = useCreateEndpoint();
  const update = useUpdateEndpoint();
  const mutation = endpoint ? update : create;
  const [form, setForm] = useState<Form>(() => formOf(endpoint));

  const errors = isValidationError(mutation.error) ? mutation.error.fieldErrors : {};
  const otherErrors = Object.entries(errors).filter(([field]) => !FIELDS.includes(field));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { url: form.url.trim(), events: eventsToSend(form.events), description: form.description };
    if (endpoint) {
      // Only what changed: an unchanged URL is not sent to be resolved and checked again.
      const change = Object.fromEntries(Object.entries(body).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(endpoint[key as keyof Form])));
      update.mutate(
        { id: endpoint.id, change },
        {
          onSuccess: (saved) => {
            onSaved?.(saved);
            onClose();
          },
        },
      );
    } else {
      create.mutate(body, {
        onSuccess: (created) => {
          onCreated?.(created);
          onClose();
        },
      });
    }
  };

  const formId = 'webhook-endpoint-form';
  return (
    <Dialog
      open
      onClose={onClose}
      size="lg"
      title={endpoint ? 'Change this endpoint' : 'Add a webhook endpoint'}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={mutation.isPending}>
            {endpoint ? 'Save changes' : 'Add endpoint'}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="form-stack" noValidate>
        {mutation.isError && !isValidationError(mutation.error) && <Alert tone="error">{errorMessage(mutation.error)}</Alert>}
        {isValidationError(mutation.error) && (
          <Alert tone="error">
            {endpoint ? 'The endpoint was not changed.' : 'The endpoint was not added.'} Fix the highlighted fields.
            {otherErrors.map(([field, messages]) => (
              <div key={field}>{messages.join(' ')}</div>
            ))}
          </Alert>
        )}
        <Field label="URL" errors={errors.url} hint="Where every event is POSTed: https://, on an address reachable from the internet.">
          <input
            className="input"
            type="url"
            inputMode="url"
            maxLength={requestLimits.EndpointCreateRequest.url.maxLength}
            value={form.url}
            onChange={(e) => setForm((f) => ({ ...f, url: e.target.value }))}
            placeholder="https://hooks.example.com/cleanup"
            autoComplete="off"
            spellCheck={false}
            required
          />
        </Field>
        <EventPicker value={form.events} onChange={(events) => setForm((f) => ({ ...f, events }))} errors={errors.events} />
        <Field label="Description (optional)" errors={errors.description} hint="For your team, e.g. “Billing: frees the seat”.">
          <input className="input" value={form.description} onChange={(e) => setForm((f) => ({ ...f, description: e.target.value }))} autoComplete="off" />
        </Field>
      </form>
    </Dialog>
  );
}
