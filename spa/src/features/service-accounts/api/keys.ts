/** Query keys for this feature; every key starts with the tenant scope. */
export const serviceAccountKeys = {
  all: (scope: string) => [scope, 'service-accounts'] as const,
  list: (scope: string, page: number) => [scope, 'service-accounts', 'list', { page }] as const,
};

/** Tokens live in another feature; invalidating by key prefix keeps the features independent. */
export const tokensPrefix = (scope: string) => [scope, 'tokens'] as const;
