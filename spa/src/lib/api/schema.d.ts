/**
 * Hand-written stand-in for the file `npm run gen:api` generates from
 * spa/openapi.json (drf-spectacular → openapi-typescript). It mirrors
 * DESIGN.md §6 field for field and uses the same `components['schemas']`
 * shape, so regenerating replaces it without touching the app: the app only
 * reads these types through src/lib/api/types.ts.
 */
export type paths = Record<string, never>;

export interface components {
  schemas: {
    StatusEnum: 'queued' | 'running' | 'succeeded' | 'failed' | 'aborted';
    TriggerEnum: 'manual' | 'schedule' | 'platform';
    ActionEnum: 'deactivate' | 'delete';
    ReasonEnum: 'inactive' | 'never_logged_in';
    TokenObtainPair: { username: string; password: string };
    TokenPair: { readonly access: string; refresh: string };
    TokenRefresh: { refresh: string };
    Logout: { refresh: string };
    MeTenant: { schema_name: string; name: string };
    Me: {
      username: string;
      email: string;
      is_operator: boolean;
      is_tenant_admin: boolean;
      tenant: components['schemas']['MeTenant'] | null;
    };
    Report: {
      readonly id: number;
      status: components['schemas']['StatusEnum'];
      trigger: components['schemas']['TriggerEnum'];
      triggered_by: string | null;
      dry_run: boolean;
      action: components['schemas']['ActionEnum'];
      readonly created_at: string;
      started_at: string | null;
      finished_at: string | null;
      users_eligible: number;
      users_matched: number;
      users_removed: number;
      progress: number;
      error: string;
      policy: { [key: string]: unknown };
    };
    PaginatedReportList: {
      count: number;
      next: string | null;
      previous: string | null;
      results: components['schemas']['Report'][];
    };
    AuditEntry: {
      user_id: number;
      username: string;
      email: string;
      last_login: string | null;
      last_seen: string | null;
      date_joined: string;
      reason: components['schemas']['ReasonEnum'];
    };
    PaginatedAuditEntryList: {
      count: number;
      next: string | null;
      previous: string | null;
      results: components['schemas']['AuditEntry'][];
    };
    Policy: {
      enabled: boolean;
      inactive_days: number;
      never_logged_in_days: number;
      action: components['schemas']['ActionEnum'];
      dry_run: boolean;
      exempt_groups: string[];
      max_removal_ratio: number;
      schedule: string;
      timezone: string;
      readonly next_run_at: string | null;
      readonly schedule_description: string;
    };
    PatchedPolicy: Partial<Omit<components['schemas']['Policy'], 'next_run_at' | 'schedule_description'>>;
    PreviewUser: components['schemas']['AuditEntry'];
    Preview: {
      users_eligible: number;
      users_matched: number;
      would_abort: boolean;
      sample: components['schemas']['PreviewUser'][];
    };
    TriggerRequest: { dry_run?: boolean };
    TriggerResponse: { report_id: number; task_id: string; status: 'queued' };
    LastReport: {
      id: number;
      status: components['schemas']['StatusEnum'];
      finished_at: string | null;
      users_removed: number;
    };
    PlatformTenant: {
      schema_name: string;
      name: string;
      domain: string | null;
      is_active: boolean;
      created_at: string;
      enabled: boolean;
      schedule: string;
      timezone: string;
      next_run_at: string | null;
      last_report: components['schemas']['LastReport'] | null;
    };
    PaginatedPlatformTenantList: {
      count: number;
      next: string | null;
      previous: string | null;
      results: components['schemas']['PlatformTenant'][];
    };
    TenantAdmin: { username: string; email: string; password: string };
    TenantCreate: {
      name: string;
      schema_name: string;
      domain?: string;
      admin: components['schemas']['TenantAdmin'];
    };
    PlatformTriggerRequest: { tenants?: string[]; dry_run?: boolean };
    PlatformRun: { tenant: string; report_id: number };
    PlatformSkip: { tenant: string; reason: string };
    PlatformTriggerResponse: {
      runs: components['schemas']['PlatformRun'][];
      skipped: components['schemas']['PlatformSkip'][];
    };
  };
}
