import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Field } from '@/components/ui/Field';
import type { FieldErrors } from '@/lib/api/errors';
import type { NoticeLanguage, OnUndeliverable, PolicyInput, Preview } from '@/lib/api/types';
import { NOTICE_LANGUAGE_LABEL, NOTICE_PLACEHOLDERS } from '@/lib/labels/notice-placeholder';
import { ON_UNDELIVERABLE_LABEL } from '@/lib/labels/on-undeliverable';
import { testNoticeErrorMessage, useSendTestNotice } from '../api/send-test-notice';

/** The notice fields of the policy form, as the form edits them. */
export interface NoticeDraft {
  notice_subject: string;
  notice_body: string;
  notice_reply_to: string;
  notice_language: NoticeLanguage;
  on_undeliverable: OnUndeliverable;
}

type Set = <K extends keyof NoticeDraft>(key: K, value: NoticeDraft[K]) => void;

/** Any form whose draft holds the notice fields. */
type Setter<D extends NoticeDraft> = <K extends keyof D>(key: K, value: D[K]) => void;

/** The notice: the tenant's own words (empty: the built-in text), its language and reply-to,
 * what happens when an address refuses it, and "Send me a test". */
export function NoticeFields<D extends NoticeDraft>({
  draft,
  set: setAny,
  errors,
  input,
  canChange,
}: {
  draft: D;
  set: Setter<D>;
  errors: FieldErrors;
  input: PolicyInput;
  canChange: boolean;
}) {
  const test = useSendTestNotice();
  const set: Set = (key, value) => setAny(key, value as D[typeof key]);
  return (
    <fieldset className="fieldset" disabled={!canChange}>
      <legend>The warning email</legend>
      <div className="grid-2">
        <Field label="Language" errors={errors.notice_language} hint="Of the built-in text and of the dates.">
          <select className="input" value={draft.notice_language} onChange={(e) => set('notice_language', e.target.value as NoticeLanguage)}>
            {(Object.keys(NOTICE_LANGUAGE_LABEL) as NoticeLanguage[]).map((code) => (
              <option key={code} value={code}>
                {NOTICE_LANGUAGE_LABEL[code]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Reply-to address" errors={errors.notice_reply_to} hint="Where replies go. Empty: replies go nowhere useful.">
          <input
            className="input"
            type="email"
            value={draft.notice_reply_to}
            placeholder="e.g. helpdesk@example.com"
            onChange={(e) => set('notice_reply_to', e.target.value)}
          />
        </Field>
      </div>
      <Field label="Subject" errors={errors.notice_subject} hint="Empty: the built-in subject, which names your organisation and the date.">
        <input className="input" value={draft.notice_subject} onChange={(e) => set('notice_subject', e.target.value)} />
      </Field>
      <Field
        label="Text"
        errors={errors.notice_body}
        hint="Plain text; empty: the built-in text. Include {keep_url} so people can keep their account in one click."
      >
        <textarea className="input textarea mono" rows={8} value={draft.notice_body} onChange={(e) => set('notice_body', e.target.value)} />
      </Field>
      <div className="placeholder-list">
        <p className="field-label">Placeholders (nothing else in braces is allowed):</p>
        <dl>
          {NOTICE_PLACEHOLDERS.map((p) => (
            <div key={p.name}>
              <dt className="mono">{p.name}</dt>
              <dd className="muted small">{p.text}</dd>
            </div>
          ))}
        </dl>
      </div>
      <p className="field-label" id="on-undeliverable-label">
        When an address refuses the email (the mailbox does not exist):
      </p>
      <div className="radio-cards" role="radiogroup" aria-labelledby="on-undeliverable-label">
        {(['hold', 'proceed'] as const).map((choice) => (
          <label key={choice} className={`radio-card ${draft.on_undeliverable === choice ? 'radio-card-checked' : ''}`}>
            <input
              type="radio"
              name="on_undeliverable"
              value={choice}
              checked={draft.on_undeliverable === choice}
              onChange={() => set('on_undeliverable', choice)}
            />
            <span>
              <strong>{ON_UNDELIVERABLE_LABEL[choice].title}</strong>
              <span className="muted small block">{ON_UNDELIVERABLE_LABEL[choice].text}</span>
            </span>
          </label>
        ))}
      </div>
      {errors.on_undeliverable && <p className="field-error">{errors.on_undeliverable.join(' ')}</p>}
      {canChange && (
        <div className="button-row">
          <Button busy={test.isPending} onClick={() => test.mutate(input)}>
            Send me a test
          </Button>
          <span aria-live="polite" className="small">
            {test.isSuccess && <Alert tone="success">A test of this draft is on its way to {test.data.to}. It was not saved.</Alert>}
            {test.isError && <Alert tone="error">{testNoticeErrorMessage(test.error)}</Alert>}
          </span>
        </div>
      )}
    </fieldset>
  );
}

/** The notice as the draft would write it, with sample values. */
export function NoticePreview({ notice }: { notice: Preview['notice'] }) {
  return (
    <section className="notice-preview" aria-label="The warning email">
      <p className="muted small preview-caption">The warning email (sample values; its keep link keeps nobody):</p>
      <p className="notice-preview-subject">
        <span className="muted small">Subject: </span>
        <strong data-testid="notice-subject">{notice.subject}</strong>
      </p>
      <pre className="notice-preview-text" tabIndex={0} data-testid="notice-text">
        {notice.text}
      </pre>
    </section>
  );
}
