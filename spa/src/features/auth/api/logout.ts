import { useMutation } from '@tanstack/react-query';
import { request } from '@/lib/api/client';
import { readTokens } from '@/lib/auth-tokens';

/** POST /api/auth/logout/ {refresh} → 205: the refresh token stops working. */
export async function logout(): Promise<void> {
  const tokens = readTokens();
  if (!tokens) return;
  await request<null>('/api/auth/logout/', { method: 'POST', body: { refresh: tokens.refresh }, auth: false });
}

export function useLogout() {
  return useMutation({ mutationFn: logout });
}
