/** Query keys for this feature; every key starts with the tenant scope. */
export const exemptionKeys = {
  all: (scope: string) => [scope, 'exemptions'] as const,
  list: (scope: string, page: number) => [scope, 'exemptions', 'list', { page }] as const,
};
