import { useMutation } from '@tanstack/react-query';
import { request } from '@/lib/api/client';
import type { TokenPair } from '@/lib/api/types';

export interface Credentials {
  username: string;
  password: string;
}

/** POST /api/auth/token/ → {access, refresh}; 401 on bad credentials, 429 when throttled. */
export function obtainToken(credentials: Credentials): Promise<TokenPair> {
  return request<TokenPair>('/api/auth/token/', { method: 'POST', body: credentials, auth: false });
}

export function useObtainToken() {
  return useMutation({ mutationFn: obtainToken });
}
