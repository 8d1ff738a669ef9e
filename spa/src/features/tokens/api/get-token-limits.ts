import { useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import { requestLimits } from '@/lib/api/limits';
import type { Policy, ServiceAccountPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { policyKey, serviceAccountsPrefix } from './keys';

/** The ceiling of every expiry (the operators' own limit on the root host), from the OpenAPI document. */
export const TOKEN_MAX_DAYS = requestLimits.TokenCreateRequest.expires_in_days.maximum;

/**
 * The longest expiry a new token may have here: the tenant's `token_max_days`, which its
 * admins and auditors may read in the policy (GET /api/cleanup/policy/). Off (`enabled`
 * false, e.g. on the root host) the ceiling from the OpenAPI document applies.
 */
export function useTokenMaxDays(enabled: boolean): { maxDays: number; isPending: boolean } {
  const policy = useQuery({
    queryKey: policyKey(useScope()),
    queryFn: ({ signal }) => api.get<Policy>('/api/cleanup/policy/', undefined, signal),
    enabled,
  });
  // A failed read leaves the document's ceiling: the server still says 400 above the tenant's.
  return { maxDays: policy.data?.token_max_days ?? TOKEN_MAX_DAYS, isPending: enabled && policy.isPending };
}

/**
 * The service accounts a tenant admin may make a token for (GET /api/service-accounts/,
 * one page of the most the API gives), for the create dialog's owner list.
 */
export function useTokenOwners(enabled: boolean) {
  return useQuery({
    queryKey: [...serviceAccountsPrefix(useScope()), 'owners'] as const,
    queryFn: ({ signal }) => api.get<ServiceAccountPage>('/api/service-accounts/', { page_size: 1000 }, signal),
    enabled,
    select: (page) => page.results.filter((account) => account.is_active),
  });
}
