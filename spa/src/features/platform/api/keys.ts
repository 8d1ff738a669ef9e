import type { TenantListParams } from './tenant-list-params';

export const platformKeys = {
  all: (scope: string) => [scope, 'platform'] as const,
  tenants: (scope: string) => [scope, 'platform', 'tenants'] as const,
  tenantPage: (scope: string, params: TenantListParams) => [scope, 'platform', 'tenants', 'list', params] as const,
  summary: (scope: string) => [scope, 'platform', 'summary'] as const,
  trigger: (scope: string, id: number, pageSize: number) => [scope, 'platform', 'triggers', id, { pageSize }] as const,
  tenantReports: (scope: string, schema: string, page: number) => [scope, 'platform', 'tenants', schema, 'reports', { page }] as const,
};
