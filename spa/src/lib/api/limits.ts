// Generated from openapi.json by scripts/gen-limits.mjs (`npm run gen:api`). Do not edit.
//
// The bounds the server states for what the dashboard sends: each request body's fields
// and each operation's query parameters. Typed against the generated schema, so a schema,
// field or parameter the server renames fails the type check where it is used.
import type { components, operations } from './schema';

/** The JSON Schema keywords that bound one value. */
export interface FieldLimits {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: FieldLimits;
}

type Schemas = components['schemas'];
type QueryOf<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

/** Each request body's bounded fields, by schema name. */
export const requestLimits = {
  ExemptionCreateRequest: { reason: { maxLength: 500 }, username: { minLength: 1, maxLength: 150 } },
  LoginRequest: { password: { minLength: 1, maxLength: 4096 }, username: { minLength: 1, maxLength: 150 } },
  LogoutRequest: { refresh: { minLength: 1 } },
  PatchedPolicyWriteRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: { maxItems: 100, items: { minLength: 1, maxLength: 150 } },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1, maxLength: 100, pattern: '^[0-9A-Za-z*,/?#-]+( [0-9A-Za-z*,/?#-]+){4}$' },
    timezone: { minLength: 1, maxLength: 64 },
  },
  PatchedPreviewRequestRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: { maxItems: 100, items: { minLength: 1, maxLength: 150 } },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1, maxLength: 100, pattern: '^[0-9A-Za-z*,/?#-]+( [0-9A-Za-z*,/?#-]+){4}$' },
    timezone: { minLength: 1, maxLength: 64 },
  },
  PlatformTriggerRequest: { tenants: { maxItems: 1000, items: { minLength: 1, maxLength: 63 } } },
  PolicyWriteRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: { maxItems: 100, items: { minLength: 1, maxLength: 150 } },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1, maxLength: 100, pattern: '^[0-9A-Za-z*,/?#-]+( [0-9A-Za-z*,/?#-]+){4}$' },
    timezone: { minLength: 1, maxLength: 64 },
  },
  RefreshRequest: { refresh: { minLength: 1 } },
  TenantAdminInputRequest: {
    email: { minLength: 1 },
    password: { minLength: 1, maxLength: 128 },
    username: { minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' },
  },
  TenantCreateRequest: { domain: { maxLength: 253 }, name: { minLength: 1, maxLength: 100 }, schema_name: { minLength: 1, maxLength: 63 } },
} as const satisfies {
  readonly [S in keyof Schemas]?: { readonly [F in keyof Schemas[S]]?: FieldLimits };
};

/** Each operation's bounded query parameters, by operation id. */
export const queryLimits = {
  activity_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  exemptions_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  platform_tenants_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 }, search: { maxLength: 253 } },
  platform_tenants_reports_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_notices_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_users_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
} as const satisfies {
  readonly [O in keyof operations]?: { readonly [P in keyof QueryOf<O>]?: FieldLimits };
};
