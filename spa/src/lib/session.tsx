import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { onSessionExpired } from './api/client';
import { clearTokens, readTokens, subscribeTokens, writeTokens } from './auth-tokens';
import type { TokenPair } from './api/types';

export const SESSION_EXPIRED_MESSAGE = 'Your session expired, please log in again.';

interface Session {
  isAuthenticated: boolean;
  /** A one-off message for the login page (session expired, logged out). */
  notice: string | null;
  signIn: (tokens: TokenPair) => void;
  signOut: (notice?: string) => void;
  clearNotice: () => void;
}

const SessionContext = createContext<Session | null>(null);

function hasTokens(): boolean {
  return readTokens() !== null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const isAuthenticated = useSyncExternalStore(subscribeTokens, hasTokens, hasTokens);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onSessionExpired(() => {
        setNotice(SESSION_EXPIRED_MESSAGE);
        queryClient.clear();
      }),
    [queryClient],
  );

  const signIn = useCallback(
    (tokens: TokenPair) => {
      queryClient.clear();
      setNotice(null);
      writeTokens(tokens);
    },
    [queryClient],
  );

  const signOut = useCallback(
    (message?: string) => {
      clearTokens();
      queryClient.clear();
      setNotice(message ?? null);
    },
    [queryClient],
  );

  const clearNotice = useCallback(() => setNotice(null), []);

  const value = useMemo(() => ({ isAuthenticated, notice, signIn, signOut, clearNotice }), [isAuthenticated, notice, signIn, signOut, clearNotice]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession must be used inside <SessionProvider>');
  return session;
}
