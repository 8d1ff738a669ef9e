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
  EndpointCreateRequest: {
    events: { minItems: 1, maxItems: 16 },
    url: { minLength: 1, maxLength: 2000, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000-\\u001f\\u007f]+$' },
  },
  ExemptionCreateRequest: {
    reason: {
      minLength: 1,
      maxLength: 500,
      pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
    },
    username: {
      minLength: 1,
      maxLength: 150,
      pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
    },
  },
  LoginRequest: {
    password: { minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]*$' },
    username: {
      minLength: 1,
      maxLength: 150,
      pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
    },
  },
  LogoutRequest: {
    refresh: {
      minLength: 1,
      pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
    },
  },
  PatchedEndpointUpdateRequest: {
    events: { minItems: 1, maxItems: 16 },
    url: { minLength: 1, maxLength: 2000, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000-\\u001f\\u007f]+$' },
  },
  PatchedPolicyWriteRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: {
      maxItems: 100,
      items: {
        minLength: 1,
        maxLength: 150,
        pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
      },
    },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1 },
    timezone: { minLength: 1 },
    token_inactive_days: { minimum: 1, maximum: 3650 },
    token_max_days: { minimum: 1, maximum: 366 },
  },
  PatchedPreviewRequestRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: {
      maxItems: 100,
      items: {
        minLength: 1,
        maxLength: 150,
        pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
      },
    },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1 },
    timezone: { minLength: 1 },
    token_inactive_days: { minimum: 1, maximum: 3650 },
    token_max_days: { minimum: 1, maximum: 366 },
  },
  PlatformTriggerRequest: {
    tenants: {
      minItems: 1,
      maxItems: 1000,
      items: {
        minLength: 1,
        maxLength: 63,
        pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
      },
    },
  },
  PolicyWriteRequest: {
    delete_after_days: { minimum: 1, maximum: 3650 },
    exempt_groups: {
      maxItems: 100,
      items: {
        minLength: 1,
        maxLength: 150,
        pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
      },
    },
    inactive_days: { minimum: 1, maximum: 3650 },
    max_removal_ratio: { minimum: 0.01, maximum: 1 },
    never_logged_in_days: { minimum: 1, maximum: 3650 },
    notice_days: { minimum: 0, maximum: 365 },
    schedule: { minLength: 1 },
    timezone: { minLength: 1 },
    token_inactive_days: { minimum: 1, maximum: 3650 },
    token_max_days: { minimum: 1, maximum: 366 },
  },
  RefreshRequest: {
    refresh: {
      minLength: 1,
      pattern: '^[^\\u0000]*[^\\u0000\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$',
    },
  },
  ServiceAccountCreateRequest: { username: { minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' } },
  SignalsRequest: { signals: { maxItems: 10000 } },
  TenantAdminInputRequest: {
    email: {
      minLength: 1,
      maxLength: 254,
      pattern:
        "^[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:[.][-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?[.])+[A-Za-z][A-Za-z-]{0,61}[A-Za-z]$",
    },
    password: { minLength: 1 },
    username: { minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' },
  },
  TenantCreateRequest: {
    name: {
      minLength: 1,
      maxLength: 100,
      pattern:
        '^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u1680\\u180e\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u2064\\u2066-\\u206f\\u3000\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]*$',
    },
    schema_name: {
      minLength: 1,
      maxLength: 63,
      pattern: '^(?!(?:admin|api|app|mail|media|public|root|static|tenant_template|www)$)(?!pg_)[a-z](?:[a-z0-9_]{0,61}[a-z0-9])?$',
    },
  },
  TokenCreateRequest: {
    expires_in_days: { minimum: 1, maximum: 366 },
    name: {
      minLength: 1,
      maxLength: 100,
      pattern:
        '^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u1680\\u180e\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u2064\\u2066-\\u206f\\u3000\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]*$',
    },
    owner: { minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' },
    scopes: { minItems: 1, maxItems: 12 },
  },
} as const satisfies {
  readonly [S in keyof Schemas]?: { readonly [F in keyof Schemas[S]]?: FieldLimits };
};

/** Each operation's bounded query parameters, by operation id. */
export const queryLimits = {
  activity_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  exemptions_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  platform_tenants_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 }, search: { maxLength: 253 } },
  platform_tenants_reports_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  platform_triggers_retrieve: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_notices_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_tokens_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  reports_users_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  service_accounts_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  tokens_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  webhooks_deliveries_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
  webhooks_list: { page: { minimum: 1, maximum: 999999999 }, page_size: { minimum: 1, maximum: 1000 } },
} as const satisfies {
  readonly [O in keyof operations]?: { readonly [P in keyof QueryOf<O>]?: FieldLimits };
};
