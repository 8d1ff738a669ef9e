/** Query keys for this feature; every key starts with the tenant scope. */
export const webhookKeys = {
  all: (scope: string) => [scope, 'webhooks'] as const,
  list: (scope: string, page: number) => [scope, 'webhooks', 'list', { page }] as const,
  detail: (scope: string, id: number) => [scope, 'webhooks', 'detail', id] as const,
  deliveries: (scope: string, id: number, page: number) => [scope, 'webhooks', 'detail', id, 'deliveries', { page }] as const,
};
