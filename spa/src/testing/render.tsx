import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { AppProviders } from '@/app/providers';
import { AppRoutes } from '@/app/routes';
import { writeTokens } from '@/lib/auth-tokens';
import type { HostConfig } from '@/lib/host';
import { acmeHost } from './fixtures';

interface RenderAppOptions {
  path?: string;
  /** What the server says this host is: tenant acme by default; `platformHost` for the operator console. */
  host?: HostConfig;
  /** Start with stored tokens, as after a login. */
  authenticated?: boolean;
}

/** Renders the whole app (providers + routes) at a path, against the MSW backend. */
export function renderApp({ path = '/', host = acmeHost, authenticated = true }: RenderAppOptions = {}) {
  if (authenticated) writeTokens({ access: 'access-1', refresh: 'refresh-1' });
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: 0, gcTime: Infinity, refetchOnWindowFocus: false }, mutations: { retry: false } },
  });
  const user = userEvent.setup();
  const result = render(
    <AppProviders queryClient={queryClient} host={host}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </AppProviders>,
  );
  return { user, queryClient, ...result };
}
