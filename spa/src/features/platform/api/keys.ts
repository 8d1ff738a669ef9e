export const platformKeys = {
  tenants: (scope: string) => [scope, 'platform', 'tenants'] as const,
  tenantPage: (scope: string, page: number) => [scope, 'platform', 'tenants', 'list', { page }] as const,
  tenantReports: (scope: string, schema: string, page: number) => [scope, 'platform', 'tenants', schema, 'reports', { page }] as const,
};
