/** Query keys for this feature; every key starts with the tenant scope. */
export const tokenKeys = {
  all: (scope: string) => [scope, 'tokens'] as const,
  list: (scope: string, page: number) => [scope, 'tokens', 'list', { page }] as const,
};

/**
 * Keys of data other features own, read here too. The same key as theirs, so the cache
 * holds one copy and their invalidations reach it; the features stay independent.
 */
export const policyKey = (scope: string) => [scope, 'cleanup', 'policy'] as const;
export const serviceAccountsPrefix = (scope: string) => [scope, 'service-accounts'] as const;
