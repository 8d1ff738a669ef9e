import type { TenantOrdering, TenantStatusFilter } from '@/lib/api/types';

/** What the tenants table shows: a page of tenants matching a search and a last-run status, in an order. */
export interface TenantListParams {
  page: number;
  search: string;
  status: TenantStatusFilter | '';
  ordering: TenantOrdering | '';
}
