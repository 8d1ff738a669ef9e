import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { ApiTokenCreated, ApiTokenInput } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { serviceAccountsPrefix, tokenKeys } from './keys';

/**
 * POST /api/tokens/ → 201 with the whole token (`token`), in this answer only; 400 with
 * `{name | scopes | expires_in_days | owner: [messages]}`. The answer is never put in the
 * query cache: only the dialog that asked holds the secret, until it closes.
 */
export function createToken(input: ApiTokenInput): Promise<ApiTokenCreated> {
  return api.post<ApiTokenCreated>('/api/tokens/', input);
}

export function useCreateToken() {
  const scope = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createToken,
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: tokenKeys.all(scope) }),
        // A service account's count of active tokens changed.
        queryClient.invalidateQueries({ queryKey: serviceAccountsPrefix(scope) }),
      ]),
  });
}
