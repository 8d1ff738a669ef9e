import { BrowserRouter } from 'react-router';
import { hostInfo } from '@/lib/host';
import { createQueryClient } from '@/lib/query-client';
import { AppProviders } from './providers';
import { AppRoutes } from './routes';

const queryClient = createQueryClient();

export function App() {
  return (
    <AppProviders queryClient={queryClient} host={hostInfo(window.location.hostname)}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AppProviders>
  );
}
