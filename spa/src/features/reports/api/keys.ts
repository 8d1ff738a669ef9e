/** Query keys for this feature; every key starts with the tenant scope. */
export const reportKeys = {
  all: (scope: string) => [scope, 'reports'] as const,
  latest: (scope: string) => [scope, 'reports', 'latest'] as const,
  list: (scope: string, page: number) => [scope, 'reports', 'list', { page }] as const,
  detail: (scope: string, id: number) => [scope, 'reports', 'detail', id] as const,
  users: (scope: string, id: number, page: number) => [scope, 'reports', 'detail', id, 'users', { page }] as const,
  notices: (scope: string, id: number, page: number) => [scope, 'reports', 'detail', id, 'notices', { page }] as const,
  allUsers: (scope: string, id: number) => [scope, 'reports', 'detail', id, 'users'] as const,
  undoPreview: (scope: string, id: number) => [scope, 'reports', 'detail', id, 'undo'] as const,
};
