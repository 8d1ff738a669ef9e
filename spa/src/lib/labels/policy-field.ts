/**
 * How a policy change reads in the activity log: a label per policy field, and each
 * field's values in words. Typed against the generated schema, so a policy field the API
 * adds fails the type check here instead of showing as a raw key.
 */
import type { Policy } from '../api/types';
import { formatPercent } from '../format';
import { isKeyOf } from '../is-key-of';
import { ON_CAP_LABEL } from './on-cap';
import { ON_UNDELIVERABLE_LABEL } from './on-undeliverable';

/** The fields a policy change can name (the read-only ones never change by hand). */
export type PolicyField = Exclude<keyof Policy, 'next_run_at' | 'schedule_description'>;

export const POLICY_FIELD_LABEL: Record<PolicyField, string> = {
  enabled: 'scheduled runs',
  inactive_days: 'inactive days',
  never_logged_in_days: 'never-logged-in grace days',
  action: 'action',
  dry_run: 'dry run',
  exempt_groups: 'exempt groups',
  max_removal_ratio: 'safety cap',
  on_cap: 'over the cap',
  notice_days: 'notice days',
  delete_after_days: 'delete after days',
  notify_admins: 'notify admins',
  on_undeliverable: 'undeliverable notices',
  notice_subject: 'notice subject',
  notice_body: 'notice text',
  notice_reply_to: 'notice reply-to',
  notice_language: 'notice language',
  schedule: 'schedule',
  timezone: 'timezone',
  token_max_days: 'longest API token expiry (days)',
  token_inactive_days: 'revoke API tokens unused for (days)',
};

export function isPolicyField(name: string): name is PolicyField {
  return isKeyOf(POLICY_FIELD_LABEL, name);
}

const ON_OFF = (value: unknown) => (value ? 'on' : 'off');

/** Values that need more than String(value) to read well. */
const FORMAT: Partial<Record<PolicyField, (value: unknown) => string>> = {
  enabled: ON_OFF,
  dry_run: ON_OFF,
  notify_admins: ON_OFF,
  exempt_groups: (value) => (Array.isArray(value) && value.length ? value.join(', ') : 'none'),
  max_removal_ratio: (value) => (typeof value === 'number' ? formatPercent(value) : String(value)),
  on_cap: (value) => (isKeyOf(ON_CAP_LABEL, value) ? ON_CAP_LABEL[value].value : String(value)),
  delete_after_days: (value) => (value === null ? 'never' : String(value)),
  on_undeliverable: (value) => (isKeyOf(ON_UNDELIVERABLE_LABEL, value) ? ON_UNDELIVERABLE_LABEL[value].value : String(value)),
  token_inactive_days: (value) => (value === null ? 'never' : String(value)),
};

export function formatPolicyValue(field: string, value: unknown): string {
  if (isPolicyField(field)) {
    const format = FORMAT[field];
    if (format) return format(value);
  }
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(String).join(', ') || 'none';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** "inactive days 90 → 7" */
export function describePolicyChange(field: string, change: { old?: unknown; new?: unknown }): string {
  const label = isPolicyField(field) ? POLICY_FIELD_LABEL[field] : field.replace(/_/g, ' ');
  return `${label} ${formatPolicyValue(field, change.old)} → ${formatPolicyValue(field, change.new)}`;
}
