import { useMemo, useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, PageHeader, Stat } from '@/components/ui/Card';
import { Field, Switch } from '@/components/ui/Field';
import { QueryState } from '@/components/ui/QueryState';
import { Spinner } from '@/components/ui/Spinner';
import { isValidationError, withoutField, type FieldErrors } from '@/lib/api/errors';
import { requestLimits } from '@/lib/api/limits';
import type { CleanupAction, OnCap, Policy, PolicyInput, Preview, Timezone } from '@/lib/api/types';
import { formatDateTime, formatNumber, formatPercent, formatRelative } from '@/lib/format';
import { ACTION_DONE, ACTION_LABEL } from '@/lib/labels/action';
import { ON_CAP_LABEL } from '@/lib/labels/on-cap';
import { REASON_LABEL } from '@/lib/labels/removal-reason';
import { Why } from '@/components/ui/Why';
import { READ_ONLY_NOTE, useCanChange } from '@/lib/role';
import { useDebouncedValue } from '@/lib/use-debounced-value';
import { usePolicy } from '../api/get-policy';
import { usePreview } from '../api/preview-cleanup';
import { useUpdatePolicy } from '../api/update-policy';
import { useDocumentTitle } from '@/lib/use-document-title';
import { NoticeFields, NoticePreview, type NoticeDraft } from './NoticeFields';

/** The bounds the server states for each field the form sends (from the OpenAPI document). */
const LIMITS = requestLimits.PatchedPolicyWriteRequest;

interface Range {
  minimum: number;
  maximum: number;
}

/** A share (0.5) as the percentage the form shows (50); toPrecision drops float noise (0.07 × 100 = 7.000000000000001). */
const asPercent = (ratio: number) => Number((ratio * 100).toPrecision(12));

/** The safety cap's bounds as percentages. */
const CAP_PERCENT: Range = { minimum: asPercent(LIMITS.max_removal_ratio.minimum), maximum: asPercent(LIMITS.max_removal_ratio.maximum) };

const within = (n: number, { minimum, maximum }: Range) => n >= minimum && n <= maximum;
const span = ({ minimum, maximum }: Range) => `${minimum}–${maximum}`;
const bounds = ({ minimum, maximum }: Range) => ({ min: minimum, max: maximum });

/** What the form edits: numbers stay text until sent, so the API judges them. */
interface Draft {
  enabled: boolean;
  inactive_days: string;
  never_logged_in_days: string;
  action: CleanupAction;
  dry_run: boolean;
  exempt_groups: string;
  /** The safety cap as a percentage (the API's max_removal_ratio × 100). */
  max_removal_percent: string;
  on_cap: OnCap;
  notice_days: string;
  /** The restore window is on: deactivated accounts are deleted after `delete_after_days`. */
  restore_window: boolean;
  delete_after_days: string;
  notify_admins: boolean;
  schedule: string;
  timezone: string;
  notice_subject: string;
  notice_body: string;
  notice_reply_to: string;
  notice_language: NoticeDraft['notice_language'];
  on_undeliverable: NoticeDraft['on_undeliverable'];
}

/** The restore window offered when it is first switched on. */
const DEFAULT_RESTORE_DAYS = '30';

type DraftKey = keyof Draft;

/** The API field a form field edits, where their names differ. */
const API_FIELD: Partial<Record<DraftKey, string>> = { max_removal_percent: 'max_removal_ratio', restore_window: 'delete_after_days' };

function toDraft(policy: Policy): Draft {
  return {
    enabled: policy.enabled,
    inactive_days: String(policy.inactive_days),
    never_logged_in_days: String(policy.never_logged_in_days),
    action: policy.action,
    dry_run: policy.dry_run,
    exempt_groups: policy.exempt_groups.join(', '),
    // Keeps any share saved more finely than a whole percent, so saving another field never changes it.
    max_removal_percent: String(asPercent(policy.max_removal_ratio)),
    on_cap: policy.on_cap,
    notice_days: String(policy.notice_days),
    restore_window: policy.delete_after_days !== null,
    delete_after_days: policy.delete_after_days === null ? DEFAULT_RESTORE_DAYS : String(policy.delete_after_days),
    notify_admins: policy.notify_admins,
    schedule: policy.schedule,
    timezone: policy.timezone,
    notice_subject: policy.notice_subject,
    notice_body: policy.notice_body,
    notice_reply_to: policy.notice_reply_to,
    notice_language: policy.notice_language,
    on_undeliverable: policy.on_undeliverable,
  };
}

/** A well-formed number is sent as a number; anything else as typed, for the API to reject in words. */
function numeric(value: string): number {
  const trimmed = value.trim();
  const n = Number(trimmed);
  return (trimmed !== '' && Number.isFinite(n) ? n : trimmed) as number;
}

/** A typed percentage as the API's share; anything but a number as typed, for the API to refuse. */
function fromPercent(value: string): number {
  const n = numeric(value);
  return typeof n === 'number' ? Number((n / 100).toPrecision(12)) : n;
}

function toInput(draft: Draft): PolicyInput {
  return {
    enabled: draft.enabled,
    inactive_days: numeric(draft.inactive_days),
    never_logged_in_days: numeric(draft.never_logged_in_days),
    action: draft.action,
    dry_run: draft.dry_run,
    exempt_groups: draft.exempt_groups
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
    max_removal_ratio: fromPercent(draft.max_removal_percent),
    on_cap: draft.on_cap,
    notice_days: numeric(draft.notice_days),
    // The restore window follows a deactivation only; switching to delete turns it off
    // (the typed days stay in the form should the action switch back).
    delete_after_days: draft.restore_window && draft.action === 'deactivate' ? numeric(draft.delete_after_days) : null,
    notify_admins: draft.notify_admins,
    schedule: draft.schedule.trim(),
    // As typed or picked: the API judges it against its list (a 400 names the field).
    timezone: draft.timezone as Timezone,
    // As typed: the API names any placeholder it does not know.
    notice_subject: draft.notice_subject,
    notice_body: draft.notice_body,
    notice_reply_to: draft.notice_reply_to.trim(),
    notice_language: draft.notice_language,
    on_undeliverable: draft.on_undeliverable,
  };
}

/** The plain-language help under "notice days", for the value typed. */
function noticeHint(value: string, action: CleanupAction): string {
  const days = Number(value.trim());
  const range = LIMITS.notice_days;
  if (value.trim() === '' || !Number.isInteger(days) || !within(days, range)) return `A whole number of days from ${range.minimum} to ${range.maximum}.`;
  if (days === 0) return `No email: accounts are ${ACTION_DONE[action]} without warning.`;
  return (
    `Users get an email ${days} ${days === 1 ? 'day' : 'days'} before their account is ${ACTION_DONE[action]}; ` +
    'signing in, or the link in the email, keeps it. Users without an email address cannot be warned.'
  );
}

function restoreHint(value: string): string {
  const days = Number(value.trim());
  const range = LIMITS.delete_after_days;
  if (value.trim() === '' || !Number.isInteger(days) || !within(days, range)) return `A whole number of days from ${range.minimum} to ${range.maximum}.`;
  return (
    `Accounts this cleanup deactivated can be reactivated for ${days} ${days === 1 ? 'day' : 'days'}; after that, ` +
    'those nobody reactivated are deleted. Accounts deactivated by hand are never deleted.'
  );
}

/** A whole number of days, kept as text (see Draft). The other props — `min`, `max`, and
 * the id and aria attributes a Field gives its control — go to the input as they are. */
function DaysInput({
  narrow = false,
  onChange,
  ...props
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange'> & {
  value: string;
  narrow?: boolean;
  onChange: (value: string) => void;
}) {
  return <input {...props} className={narrow ? 'input input-narrow' : 'input'} type="number" inputMode="numeric" onChange={(e) => onChange(e.target.value)} />;
}

/** The plain-language help under the safety cap, for the percentage typed and what happens over it. */
function capHint(value: string, onCap: OnCap): string {
  const percent = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(percent) || !within(percent, CAP_PERCENT)) {
    return `A percentage from ${CAP_PERCENT.minimum} to ${CAP_PERCENT.maximum}, e.g. 50.`;
  }
  const over = onCap === 'ask' ? 'waits for a tenant admin to approve it' : 'stops';
  return `A run that would deactivate or delete more than ${formatPercent(percent / 100)} of eligible users removes nobody: it ${over}.`;
}

const SCHEDULE_PRESETS: { label: string; cron: string }[] = [
  { label: 'Daily 03:00', cron: '0 3 * * *' },
  { label: 'Mondays 03:00', cron: '0 3 * * 1' },
  { label: '1st of month', cron: '0 3 1 * *' },
  { label: 'Hourly', cron: '0 * * * *' },
];

function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return Array.from(new Set(['UTC', current, ...zones])).sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}

export const PREVIEW_DEBOUNCE_MS = 500;

export function PolicyPage() {
  useDocumentTitle('Policy');
  const policy = usePolicy();
  return (
    <QueryState query={policy} loading="Loading policy…" errorTitle="Could not load the policy">
      {(data) => <PolicyEditor policy={data} />}
    </QueryState>
  );
}

function PolicyEditor({ policy }: { policy: Policy }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(policy));
  const [saveErrors, setSaveErrors] = useState<FieldErrors>({});
  const save = useUpdatePolicy();
  const canChange = useCanChange();
  const zones = useMemo(() => timeZones(policy.timezone), [policy.timezone]);

  const input = useMemo(() => toInput(draft), [draft]);
  const debounced = useDebouncedValue(input, PREVIEW_DEBOUNCE_MS);
  const preview = usePreview(debounced);
  const previewErrors = isValidationError(preview.error) ? preview.error.fieldErrors : {};
  const errors: FieldErrors = { ...previewErrors, ...saveErrors };
  const dirty = JSON.stringify(input) !== JSON.stringify(toInput(toDraft(policy)));

  const set = <K extends DraftKey>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setSaveErrors((e) => withoutField(e, API_FIELD[key] ?? key));
    if (save.isSuccess) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!canChange) return;
    save.mutate(input, {
      onSuccess: (saved) => {
        setSaveErrors({});
        setDraft(toDraft(saved));
      },
      onError: (error) => setSaveErrors(isValidationError(error) ? error.fieldErrors : {}),
    });
  };

  const unknownErrors = Object.entries(errors).filter(([key]) => !(key in draft) && key !== 'max_removal_ratio');

  return (
    <>
      <PageHeader
        title="Cleanup policy"
        description={`Who counts as inactive, what happens to them, and when the cleanup runs. ${canChange ? 'Changes apply to the next run.' : READ_ONLY_NOTE}`}
      />
      <div className="policy-layout">
        <form className="card policy-form" onSubmit={submit} noValidate aria-label="Cleanup policy">
          <div className="card-body form-stack">
            <fieldset className="fieldset" disabled={!canChange}>
              <legend>Who is removed</legend>
              <div className="grid-2">
                <Field
                  label="Inactive for more than (days)"
                  errors={errors.inactive_days}
                  hint={`Since last login or last API use. ${span(LIMITS.inactive_days)}.`}
                >
                  <DaysInput {...bounds(LIMITS.inactive_days)} value={draft.inactive_days} onChange={(v) => set('inactive_days', v)} />
                </Field>
                <Field
                  label="Never logged in, joined more than (days) ago"
                  errors={errors.never_logged_in_days}
                  hint={`Grace period for new accounts. ${span(LIMITS.never_logged_in_days)}.`}
                >
                  <DaysInput {...bounds(LIMITS.never_logged_in_days)} value={draft.never_logged_in_days} onChange={(v) => set('never_logged_in_days', v)} />
                </Field>
              </div>
              <Field
                label="Exempt groups"
                errors={errors.exempt_groups}
                hint="Comma-separated group names. Their members are never touched. Staff, superusers, tenant admins and auditors are always exempt."
              >
                <input className="input" value={draft.exempt_groups} placeholder="e.g. billing, vip" onChange={(e) => set('exempt_groups', e.target.value)} />
              </Field>
            </fieldset>

            <fieldset className="fieldset" disabled={!canChange}>
              <legend>What happens to them</legend>
              <div className="radio-cards" role="radiogroup" aria-label="Action">
                {(['deactivate', 'delete'] as const).map((action) => (
                  <label key={action} className={`radio-card ${draft.action === action ? 'radio-card-checked' : ''}`}>
                    <input type="radio" name="action" value={action} checked={draft.action === action} onChange={() => set('action', action)} />
                    <span>
                      <strong>{ACTION_LABEL[action].title}</strong>
                      <span className="muted small block">{ACTION_LABEL[action].text}</span>
                    </span>
                  </label>
                ))}
              </div>
              {errors.action && <p className="field-error">{errors.action.join(' ')}</p>}
              <Switch
                label="Dry run — scheduled runs only report, change nobody"
                checked={draft.dry_run}
                onChange={(v) => set('dry_run', v)}
                hint="New tenants start here. Turn it off once the reports look right."
              />
              <Field
                label="Safety cap: the largest share of eligible users one run may remove (%)"
                errors={errors.max_removal_ratio}
                hint={capHint(draft.max_removal_percent, draft.on_cap)}
              >
                <input
                  className="input input-narrow"
                  type="number"
                  step={1}
                  {...bounds(CAP_PERCENT)}
                  inputMode="decimal"
                  value={draft.max_removal_percent}
                  onChange={(e) => set('max_removal_percent', e.target.value)}
                />
              </Field>
              <p className="field-label" id="on-cap-label">
                When a run would remove more than the cap:
              </p>
              <div className="radio-cards" role="radiogroup" aria-labelledby="on-cap-label">
                {(['ask', 'abort'] as const).map((onCap) => (
                  <label key={onCap} className={`radio-card ${draft.on_cap === onCap ? 'radio-card-checked' : ''}`}>
                    <input type="radio" name="on_cap" value={onCap} checked={draft.on_cap === onCap} onChange={() => set('on_cap', onCap)} />
                    <span>
                      <strong>{ON_CAP_LABEL[onCap].title}</strong>
                      <span className="muted small block">{ON_CAP_LABEL[onCap].text}</span>
                    </span>
                  </label>
                ))}
              </div>
              {errors.on_cap && <p className="field-error">{errors.on_cap.join(' ')}</p>}
            </fieldset>

            <fieldset className="fieldset" disabled={!canChange}>
              <legend>Warning and restore</legend>
              <Field label="Warn users by email (days before)" errors={errors.notice_days} hint={noticeHint(draft.notice_days, draft.action)}>
                <DaysInput narrow {...bounds(LIMITS.notice_days)} value={draft.notice_days} onChange={(v) => set('notice_days', v)} />
              </Field>
              <Switch
                label="Restore window: delete deactivated accounts later"
                checked={draft.restore_window && draft.action === 'deactivate'}
                disabled={draft.action !== 'deactivate'}
                onChange={(v) => set('restore_window', v)}
                hint={
                  draft.action === 'deactivate'
                    ? 'Off: deactivated accounts stay until someone deletes them.'
                    : 'Only with “Deactivate”: a deleted account cannot be restored.'
                }
              />
              {draft.restore_window && draft.action === 'deactivate' && (
                <Field label="Delete deactivated accounts after (days)" errors={errors.delete_after_days} hint={restoreHint(draft.delete_after_days)}>
                  <DaysInput narrow {...bounds(LIMITS.delete_after_days)} value={draft.delete_after_days} onChange={(v) => set('delete_after_days', v)} />
                </Field>
              )}
              {errors.delete_after_days && !(draft.restore_window && draft.action === 'deactivate') && (
                <p className="field-error">{errors.delete_after_days.join(' ')}</p>
              )}
              <Switch
                label="Email the tenant's admins"
                checked={draft.notify_admins}
                onChange={(v) => set('notify_admins', v)}
                hint="When a run waits for approval, fails, or removes anyone, and a digest of the users whose address refused their warning."
              />
            </fieldset>

            {Number(draft.notice_days) > 0 && <NoticeFields draft={draft} set={set} errors={errors} input={input} canChange={canChange} />}

            <fieldset className="fieldset" disabled={!canChange}>
              <legend>When it runs</legend>
              <Switch label="Run on schedule" checked={draft.enabled} onChange={(v) => set('enabled', v)} hint="Manual runs are always possible." />
              <div className="grid-2">
                <Field
                  label="Schedule (cron)"
                  errors={errors.schedule}
                  hint={
                    input.schedule === policy.schedule && policy.schedule_description ? (
                      <>
                        {policy.schedule_description}
                        {policy.enabled && policy.next_run_at && (
                          <>
                            {' '}
                            · next run {formatDateTime(policy.next_run_at)} ({formatRelative(policy.next_run_at)})
                          </>
                        )}
                      </>
                    ) : (
                      'Minute hour day-of-month month day-of-week. Saved schedules show a description here.'
                    )
                  }
                >
                  <input
                    className="input mono"
                    value={draft.schedule}
                    onChange={(e) => set('schedule', e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                  />
                </Field>
                <Field label="Timezone" errors={errors.timezone} hint="The schedule is evaluated in this timezone.">
                  <select className="input" value={draft.timezone} onChange={(e) => set('timezone', e.target.value)}>
                    {zones.map((zone) => (
                      <option key={zone} value={zone}>
                        {zone.replace(/_/g, ' ')}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
              <div className="chips" role="group" aria-label="Schedule presets">
                {SCHEDULE_PRESETS.map((p) => (
                  <button
                    key={p.cron}
                    type="button"
                    className={`chip ${draft.schedule === p.cron ? 'chip-active' : ''}`}
                    onClick={() => set('schedule', p.cron)}
                    aria-pressed={draft.schedule === p.cron}
                  >
                    {p.label}
                  </button>
                ))}
              </div>
            </fieldset>

            {unknownErrors.length > 0 && (
              <Alert tone="error">
                {unknownErrors.map(([key, messages]) => (
                  <div key={key}>{messages.join(' ')}</div>
                ))}
              </Alert>
            )}
            {save.isError && !isValidationError(save.error) && <ErrorAlert error={save.error} title="The policy was not saved" />}
            {isValidationError(save.error) && <Alert tone="error">The policy was not saved. Fix the highlighted fields and try again.</Alert>}
            {save.isSuccess && !dirty && <Alert tone="success">Policy saved.</Alert>}
          </div>
          <footer className="form-footer">
            <span className="muted small" aria-live="polite">
              {!canChange ? 'Read-only: only tenant admins can change the policy' : dirty ? 'Unsaved changes' : 'No unsaved changes'}
              {preview.data && !preview.isError && (
                <>
                  {' · '}
                  <strong>{formatNumber(preview.data.users_matched)}</strong> of {formatNumber(preview.data.users_eligible)} users match
                </>
              )}
            </span>
            {canChange && (
              <div className="button-row">
                <Button
                  onClick={() => {
                    setDraft(toDraft(policy));
                    setSaveErrors({});
                    save.reset();
                  }}
                  disabled={!dirty || save.isPending}
                >
                  Discard
                </Button>
                <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty}>
                  Save policy
                </Button>
              </div>
            )}
          </footer>
        </form>
        <PreviewPanel preview={preview} stale={input !== debounced} dryRun={draft.dry_run} onCap={draft.on_cap} />
      </div>
    </>
  );
}

function PreviewPanel({ preview, stale, dryRun, onCap }: { preview: ReturnType<typeof usePreview>; stale: boolean; dryRun: boolean; onCap: OnCap }) {
  const invalid = isValidationError(preview.error);
  return (
    <Card title={<>Preview {(stale || preview.isFetching) && <Spinner size="sm" />}</>} className="preview-card">
      <div aria-live="polite" aria-busy={stale || preview.isFetching}>
        {invalid ? (
          <p className="muted">Fix the highlighted fields to see a preview.</p>
        ) : (
          <QueryState query={preview} loading="Calculating preview…" errorTitle="The preview failed">
            {(data) => <PreviewResult preview={data} dryRun={dryRun} onCap={onCap} />}
          </QueryState>
        )}
      </div>
    </Card>
  );
}

/** Who the tried policy matches, and what a run with it would do. */
function PreviewResult({ preview, dryRun, onCap }: { preview: Preview; dryRun: boolean; onCap: OnCap }) {
  return (
    <>
      <p className="preview-headline" data-testid="preview-headline">
        With these settings <strong>{formatNumber(preview.users_matched)}</strong> of <strong>{formatNumber(preview.users_eligible)}</strong> users are past the
        limits.
      </p>
      <PreviewStages preview={preview} dryRun={dryRun} />
      <NoticePreview notice={preview.notice} />
      {preview.would_abort && (
        <Alert tone="warning" title={onCap === 'ask' ? 'A run with these settings would wait for approval' : 'A run with these settings would abort'}>
          That is more than the safety cap allows, so the run would remove nobody
          {onCap === 'ask' ? ' until a tenant admin approves it.' : '.'} Raise the cap or narrow the policy.
        </Alert>
      )}
      {preview.sample.length > 0 ? (
        <>
          <p className="muted small preview-caption">
            {preview.sample.length < preview.users_matched
              ? `A sample of ${preview.sample.length} of the ${formatNumber(preview.users_matched)} matched users:`
              : 'Everyone matched:'}
          </p>
          <div className="preview-scroll" tabIndex={0} role="region" aria-label="Matched users sample">
            <table className="table table-compact">
              <caption className="sr-only">Users these settings would remove</caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {preview.sample.map((u) => {
                  return (
                    <tr key={u.user_id}>
                      <td className="ellipsis" title={u.email || undefined}>
                        {u.username}
                      </td>
                      <td>
                        <Badge tone={u.reason === 'inactive' ? 'warning' : 'neutral'}>{REASON_LABEL[u.reason]}</Badge>
                      </td>
                      <td className="small">
                        <Why user={u} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <p className="muted">Nobody matches these settings.</p>
      )}
    </>
  );
}

/** What a run would do now, stage by stage (docs/architecture.md#notices-and-the-keep-link). */
function PreviewStages({ preview, dryRun }: { preview: Preview; dryRun: boolean }) {
  return (
    <>
      <p className="muted small preview-caption">{dryRun ? 'A dry run only reports. A real run now would:' : 'A run now would:'}</p>
      <dl className="stats stats-compact" data-testid="preview-stages">
        <Stat label="Warn by email" value={formatNumber(preview.users_to_warn)} />
        <Stat label="Deactivate" value={formatNumber(preview.users_to_deactivate)} />
        <Stat label="Delete" value={formatNumber(preview.users_to_delete)} />
      </dl>
    </>
  );
}
