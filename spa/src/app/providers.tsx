import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { HostProvider, type HostConfig } from '@/lib/host';
import { SessionProvider } from '@/lib/session';

export function AppProviders({ queryClient, host, children }: { queryClient: QueryClient; host: HostConfig; children: ReactNode }) {
  return (
    <HostProvider value={host}>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>{children}</SessionProvider>
      </QueryClientProvider>
    </HostProvider>
  );
}
