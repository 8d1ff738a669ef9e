/**
 * How the activity log reads to a person: a label per verb and per policy
 * field, and each field's values in words. One module, typed against the
 * generated schema, so a verb or policy field the API adds fails the type check
 * here instead of showing as a raw key.
 */
import type { ActivityVerb, Policy } from './api/types';

export const VERB_LABEL: Record<ActivityVerb, string> = {
  'policy.updated': 'changed the policy',
  'cleanup.triggered': 'started a cleanup',
  'run.approved': 'approved a run',
  'run.rejected': 'rejected a run',
  'run.undone': 'undid a run',
  'user.reactivated': 'reactivated a user',
  'exemption.created': 'exempted a user',
  'exemption.deleted': 'removed an exemption',
  'user.role_changed': 'changed a user’s role',
  'tenant.created': 'created a tenant',
  'platform.triggered': 'started cleanups',
};

/** A role as `user.role_changed` records it (null: an ordinary member). */
export function roleLabel(role: unknown): string {
  if (role === 'admin') return 'tenant admin';
  if (role === 'auditor') return 'auditor';
  if (role === null || role === undefined || role === '') return 'no role';
  return String(role);
}

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
  schedule: 'schedule',
  timezone: 'timezone',
};

export function isPolicyField(name: string): name is PolicyField {
  return Object.prototype.hasOwnProperty.call(POLICY_FIELD_LABEL, name);
}

const ON_OFF = (value: unknown) => (value ? 'on' : 'off');

/** Values that need more than String(value) to read well. */
const FORMAT: Partial<Record<PolicyField, (value: unknown) => string>> = {
  enabled: ON_OFF,
  dry_run: ON_OFF,
  notify_admins: ON_OFF,
  exempt_groups: (value) => (Array.isArray(value) && value.length ? value.join(', ') : 'none'),
  max_removal_ratio: (value) => (typeof value === 'number' ? `${Math.round(value * 1000) / 10}%` : String(value)),
  on_cap: (value) => (value === 'ask' ? 'ask for approval' : value === 'abort' ? 'abort' : String(value)),
  delete_after_days: (value) => (value === null ? 'never' : String(value)),
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
