import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Exemption, ExemptionInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { exemptionKeys } from './keys';

/** POST /api/exemptions/ → 201; 400 with `{username | reason | expires_at: [messages]}`. */
export function createExemption(input: ExemptionInput): Promise<Exemption> {
  return api.post<Exemption>('/api/exemptions/', input);
}

export function useCreateExemption() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createExemption,
    // The activity log gained an event too: everything under the scope's lists refetches.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: exemptionKeys.all(scope) }),
  });
}
