import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ServiceAccount, ServiceAccountInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { serviceAccountKeys } from './keys';

/** POST /api/service-accounts/ → 201; 400 with `{username | name | role: [messages]}`. */
export function createServiceAccount(input: ServiceAccountInput): Promise<ServiceAccount> {
  return api.post<ServiceAccount>('/api/service-accounts/', input);
}

export function useCreateServiceAccount() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createServiceAccount,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: serviceAccountKeys.all(scope) }),
  });
}
