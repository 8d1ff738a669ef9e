import { BrowserRouter } from 'react-router';
import type { HostConfig } from '@/lib/host';
import { createQueryClient } from '@/lib/query-client';
import { AppProviders } from './providers';
import { AppRoutes } from './routes';

const queryClient = createQueryClient();

export function App({ host }: { host: HostConfig }) {
  return (
    <AppProviders queryClient={queryClient} host={host}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AppProviders>
  );
}
