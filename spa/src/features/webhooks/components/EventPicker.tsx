import { useId } from 'react';
import type { WebhookEventType } from '@/lib/api/types';
import { WEBHOOK_EVENT_LABEL, WEBHOOK_EVENT_TYPES } from '@/lib/labels/webhook-event';

/**
 * The event filter: "All events" (the API's `["*"]`, which also takes types added later) or
 * a choice from the catalogue. Checked "All events" leaves the list greyed but remembered,
 * so unticking it gives back the person's choice.
 */
export function EventPicker({ value, onChange, errors }: { value: WebhookEventType[]; onChange: (events: WebhookEventType[]) => void; errors?: string[] }) {
  const id = useId();
  const all = value.includes('*');
  const picked = new Set(value);
  const toggle = (type: WebhookEventType, on: boolean) => {
    const next = WEBHOOK_EVENT_TYPES.filter((t) => (t === type ? on : picked.has(t)));
    onChange(all ? ['*', ...next] : next);
  };
  const invalid = !!errors?.length;
  return (
    <fieldset className={`fieldset field ${invalid ? 'field-invalid' : ''}`} aria-describedby={invalid ? `${id}-error` : `${id}-hint`}>
      <legend>Events</legend>
      <label className="checkbox strong">
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => onChange(e.target.checked ? ['*', ...value.filter((t) => t !== '*')] : value.filter((t) => t !== '*'))}
        />
        {WEBHOOK_EVENT_LABEL['*']}
      </label>
      <div className="check-grid">
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label key={type} className="checkbox">
            <input type="checkbox" checked={all || picked.has(type)} disabled={all} onChange={(e) => toggle(type, e.target.checked)} />
            <span>
              {WEBHOOK_EVENT_LABEL[type]} <span className="mono muted small">{type}</span>
            </span>
          </label>
        ))}
      </div>
      <p className="field-hint" id={`${id}-hint`}>
        “All events” also sends the types added later.
      </p>
      {invalid && (
        <p className="field-error" id={`${id}-error`}>
          {errors.join(' ')}
        </p>
      )}
    </fieldset>
  );
}
