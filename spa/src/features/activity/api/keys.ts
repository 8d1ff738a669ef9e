/** Query keys for this feature; every key starts with the scope (tenant, or "public"). */
export const activityKeys = {
  all: (scope: string) => [scope, 'activity'] as const,
  list: (scope: string, page: number) => [scope, 'activity', 'list', { page }] as const,
};
