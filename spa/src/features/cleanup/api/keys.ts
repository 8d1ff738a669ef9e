import type { PolicyInput } from '@/lib/api/types';

/** Query keys for this feature; every key starts with the tenant scope. */
export const cleanupKeys = {
  policy: (scope: string) => [scope, 'cleanup', 'policy'] as const,
  preview: (scope: string, input: PolicyInput) => [scope, 'cleanup', 'preview', input] as const,
};

/** Reports live in another feature; invalidating by key prefix keeps the features independent. */
export const reportsPrefix = (scope: string) => [scope, 'reports'] as const;
