import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Policy, PolicyInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { cleanupKeys } from './keys';

/** PUT /api/cleanup/policy/ — 400 with `{field: [messages]}` on invalid fields. */
export function updatePolicy(input: PolicyInput): Promise<Policy> {
  return api.put<Policy>('/api/cleanup/policy/', input);
}

export function useUpdatePolicy() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updatePolicy,
    onSuccess: (policy) => {
      queryClient.setQueryData(cleanupKeys.policy(scope), policy);
      void queryClient.invalidateQueries({ queryKey: [scope, 'cleanup', 'preview'] });
    },
  });
}
