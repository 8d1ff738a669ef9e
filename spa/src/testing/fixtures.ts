import type { HostConfig } from '@/lib/host';
import type {
  ActivityEvent,
  ApiToken,
  Delivery,
  WebhookEndpoint,
  AuditEntry,
  Exemption,
  FleetSummary,
  Me,
  Notice,
  PlatformTenant,
  Policy,
  Preview,
  PreviewUser,
  ServiceAccount,
  Report,
  UndoPreview,
} from '@/lib/api/types';
import { isActiveStatus } from '@/lib/report-status';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The statuses of a run that changed nobody: its counters say what it would do (as the server says). */
const WOULD_STATUSES: readonly Report['status'][] = ['queued', 'awaiting_approval', 'aborted'];

/**
 * A report as the server answers a tenant admin. `counts_are_would`, `can_undo` and
 * `can_approve` follow the server's rules unless given (the handlers turn the `can_*`
 * off for anyone but a tenant admin, as the server does).
 */
export function makeReport(overrides: Partial<Report> = {}): Report {
  const id = overrides.id ?? 1;
  const status = overrides.status ?? 'succeeded';
  const countsAreWould = overrides.counts_are_would ?? (!!overrides.dry_run || WOULD_STATUSES.includes(status));
  const deactivated = overrides.users_deactivated ?? 12;
  return {
    counts_are_would: countsAreWould,
    can_undo: !isActiveStatus(status) && !countsAreWould && deactivated > 0,
    can_approve: status === 'awaiting_approval',
    id,
    status: 'succeeded',
    trigger: 'schedule',
    triggered_by: null,
    dry_run: false,
    action: 'deactivate',
    created_at: iso(NOW - id * DAY),
    started_at: iso(NOW - id * DAY + 1000),
    finished_at: iso(NOW - id * DAY + 9000),
    users_eligible: 120,
    users_matched: 12,
    users_warned: 4,
    users_deactivated: 12,
    users_deleted: 0,
    users_removed: 12,
    users_undeliverable: 0,
    undeliverable: [],
    tokens_revoked: 0,
    progress: 1,
    error: '',
    policy: { inactive_days: 90, action: 'deactivate', max_removal_ratio: 0.5 },
    approved_by: null,
    approved_at: null,
    removal_limit: null,
    ...overrides,
  };
}

export function makeAuditEntry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    user_id: i,
    username: `user${i}`,
    email: `user${i}@acme.test`,
    last_login: i % 2 ? iso(NOW - 200 * DAY) : null,
    last_seen: null,
    date_joined: iso(NOW - 400 * DAY),
    reason: i % 2 ? 'inactive' : 'never_logged_in',
    action: 'deactivated',
    // Every third user had no email address: removed without a notice.
    noticed_at: i % 3 ? iso(NOW - 15 * DAY) : null,
    restored_at: null,
    restored_by: null,
    last_active_at: i % 2 ? iso(NOW - 200 * DAY) : null,
    last_active_source: i % 2 ? 'login' : null,
    activity: [],
    ...overrides,
  };
}

/** A notice a run wrote (whom it warned): sent unless `sent_at` says otherwise. */
export function makeNotice(i: number, overrides: Partial<Notice> = {}): Notice {
  return {
    user_id: i,
    username: `warned${i}`,
    email: `warned${i}@acme.test`,
    status: 'sent',
    due_at: iso(NOW + 14 * DAY),
    created_at: iso(NOW - HOUR),
    sent_at: iso(NOW - HOUR + 60_000),
    attempts: 0,
    error: '',
    ...overrides,
  };
}

export function makePreviewUser(i: number): PreviewUser {
  const entry = makeAuditEntry(i);
  const { user_id, username, email, last_login, last_seen, date_joined, reason } = entry;
  const { last_active_at, last_active_source, activity } = entry;
  return {
    user_id,
    username,
    email,
    last_login,
    last_seen,
    date_joined,
    reason,
    last_active_at: last_active_at ?? null,
    last_active_source: last_active_source ?? null,
    activity: activity ?? [],
  };
}

/** A run stopped over the cap, waiting for an admin: counted, nobody removed. */
export function makeAwaitingReport(overrides: Partial<Report> = {}): Report {
  return makeReport({
    status: 'awaiting_approval',
    finished_at: null,
    progress: 0,
    users_eligible: 300,
    users_matched: 190,
    users_warned: 10,
    users_deactivated: 180,
    users_removed: 180,
    ...overrides,
  });
}

export function makeUndoPreview(overrides: Partial<UndoPreview> = {}): UndoPreview {
  return {
    reactivate: 9,
    already_active: 1,
    deleted: 2,
    deactivated_again: 0,
    tokens_restore: 0,
    ...overrides,
  };
}

export function makePolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    enabled: true,
    inactive_days: 90,
    never_logged_in_days: 30,
    action: 'deactivate',
    dry_run: true,
    exempt_groups: [],
    max_removal_ratio: 0.5,
    on_cap: 'ask',
    notice_days: 14,
    delete_after_days: null,
    notify_admins: true,
    on_undeliverable: 'hold',
    notice_subject: '',
    notice_body: '',
    notice_reply_to: '',
    notice_language: 'en',
    schedule: '0 3 * * *',
    timezone: 'UTC',
    token_max_days: 366,
    token_inactive_days: 90,
    next_run_at: iso(NOW + 15 * HOUR),
    schedule_description: 'At 03:00',
    ...overrides,
  };
}

export function makePreview(overrides: Partial<Preview> = {}): Preview {
  return {
    users_eligible: 120,
    users_matched: 3,
    users_to_warn: 5,
    users_to_deactivate: 2,
    users_to_delete: 0,
    tokens_to_warn: 0,
    tokens_to_revoke: 0,
    would_abort: false,
    sample: [makePreviewUser(1), makePreviewUser(2), makePreviewUser(3)],
    notice: {
      subject: 'Acme: your account will be deactivated on Saturday, 14 March 2026',
      text: 'Hello Alice,\n\nYour account at Acme has not been used for a while.',
    },
    ...overrides,
  };
}

export const tenantAdmin: Me = {
  username: 'admin',
  email: 'admin@acme.test',
  is_operator: false,
  is_tenant_admin: true,
  role: 'admin',
  tenant: { schema_name: 'acme', name: 'Acme Corp' },
};
export const tenantMember: Me = {
  username: 'member',
  email: 'member@acme.test',
  is_operator: false,
  is_tenant_admin: false,
  role: null,
  tenant: { schema_name: 'acme', name: 'Acme Corp' },
};
/** Reads everything in the tenant's console, changes nothing. */
export const tenantAuditor: Me = {
  username: 'auditor',
  email: 'auditor@acme.test',
  is_operator: false,
  is_tenant_admin: false,
  role: 'auditor',
  tenant: { schema_name: 'acme', name: 'Acme Corp' },
};
/** What the server injects on acme's host (acme.localhost in development). */
export const acmeHost: HostConfig = { console: 'tenant', tenant: { schema_name: 'acme', name: 'Acme Corp' }, base_domain: 'localhost' };
/** What the server injects on the root host. */
export const platformHost: HostConfig = { console: 'platform', tenant: null, base_domain: 'localhost' };

export const operator: Me = { username: 'operator', email: 'ops@example.test', is_operator: true, is_tenant_admin: false, role: 'operator', tenant: null };

export function makeTenant(schema: string, overrides: Partial<PlatformTenant> = {}): PlatformTenant {
  return {
    schema_name: schema,
    name: `${schema.charAt(0).toUpperCase()}${schema.slice(1)} Inc`,
    domain: `${schema}.localhost`,
    is_active: true,
    created_at: iso(NOW - 30 * DAY),
    schedule: { enabled: true, schedule: '0 3 * * *', timezone: 'UTC', next_run_at: iso(NOW + 15 * HOUR) },
    last_report: { id: 4, status: 'succeeded', finished_at: iso(NOW - DAY), users_removed: 7 },
    active_run: null,
    ...overrides,
  };
}

export function makeFleetSummary(overrides: Partial<FleetSummary> = {}): FleetSummary {
  return {
    tenants: 2000,
    active_tenants: 1990,
    runs_24h: { queued: 3, running: 2, awaiting_approval: 1, succeeded: 1950, failed: 4, aborted: 2 },
    users_removed_24h: 1234,
    users_removed_30d: 45678,
    needs_attention: [
      { tenant: 'globex', name: 'Globex Inc', report_id: 5, status: 'failed', finished_at: iso(NOW - HOUR) },
      { tenant: 'initech', name: 'Initech Inc', report_id: 9, status: 'awaiting_approval', finished_at: null },
    ],
    ...overrides,
  };
}

export function makeExemption(id: number, overrides: Partial<Exemption> = {}): Exemption {
  return {
    id,
    user_id: 100 + id,
    username: `user${id}`,
    reason: 'On sabbatical',
    expires_at: iso(NOW + 30 * DAY),
    expired: false,
    created_by: 'admin',
    created_at: iso(NOW - id * HOUR),
    ...overrides,
  };
}

export function makeActivityEvent(id: number, overrides: Partial<ActivityEvent> = {}): ActivityEvent {
  return {
    id,
    at: iso(NOW - id * HOUR),
    actor: 'admin',
    verb: 'policy.updated',
    target: 'cleanup policy',
    data: { inactive_days: { old: 90, new: 7 } },
    ...overrides,
  };
}

/** An active token of the tenant admin, made a day before the fixtures' now. */
export function makeApiToken(id: number, overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id,
    name: `Token ${id}`,
    prefix: `pfx${String(id).padStart(5, '0')}`,
    owner: 'admin',
    owner_kind: 'person',
    scopes: ['reports:read'],
    status: 'active',
    created_at: iso(NOW - id * DAY),
    created_by: 'admin',
    expires_at: iso(NOW + 90 * DAY),
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    revoked_reason: null,
    ...overrides,
  };
}

export function makeServiceAccount(id: number, overrides: Partial<ServiceAccount> = {}): ServiceAccount {
  return {
    id,
    username: `bot${id}`,
    name: `Bot ${id}`,
    role: 'admin',
    is_active: true,
    date_joined: iso(NOW - 10 * DAY),
    tokens_active: 0,
    ...overrides,
  };
}

export function makeEndpoint(id: number, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id,
    url: `https://hooks${id}.example.com/cleanup`,
    events: ['users.deactivated', 'users.deleted'],
    description: 'Billing',
    enabled: true,
    disabled_reason: '',
    failing_since: null,
    secret_rotation_ends_at: null,
    created_at: iso(NOW - id * DAY),
    updated_at: iso(NOW - id * DAY),
    ...overrides,
  };
}

/** A delivery that landed at its first attempt, unless told otherwise. */
export function makeDelivery(id: number, overrides: Partial<Delivery> = {}): Delivery {
  const at = iso(NOW - id * HOUR);
  return {
    id,
    event_id: `msg_${String(id).padStart(8, '0')}`,
    type: 'users.deleted',
    attempts: 1,
    status: 'delivered',
    last_status_code: 200,
    last_duration_ms: 42,
    last_error: '',
    response_excerpt: 'ok',
    next_attempt_at: null,
    created_at: at,
    delivered_at: at,
    attempt_log: [{ at, status_code: 200, duration_ms: 42, error: '', response_excerpt: 'ok' }],
    ...overrides,
  };
}
