import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { PlatformTenant, TenantCreateInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { platformKeys } from './keys';

/** POST /api/platform/tenants/ → 201; 400 with field errors (nested under `admin`). */
export function createTenant(input: TenantCreateInput): Promise<PlatformTenant> {
  return api.post<PlatformTenant>('/api/platform/tenants/', input);
}

export function useCreateTenant() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createTenant,
    // The fleet's figures count tenants too: refresh them with the list, not 15 s later.
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: platformKeys.tenants(scope) }),
        queryClient.invalidateQueries({ queryKey: platformKeys.summary(scope) }),
      ]),
  });
}
