import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { readTokens, writeTokens } from '@/lib/auth-tokens';
import { db } from '@/testing/handlers';
import { operator, tenantMember, platformHost } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('login', () => {
  it("names this host's tenant and signs a tenant admin in to the overview", async () => {
    const { user } = renderApp({ path: '/', authenticated: false });

    expect(await screen.findByRole('heading', { name: 'Sign in to Acme Corp' })).toBeInTheDocument();
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'admin-pass');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeInTheDocument();
    expect(readTokens()).toEqual({ access: 'access-1', refresh: 'refresh-1' });
    expect(screen.getByText('Acme Corp')).toBeInTheDocument();
  });

  it('names the tenant by its name, not its schema', async () => {
    renderApp({
      path: '/login',
      authenticated: false,
      host: { console: 'tenant', tenant: { schema_name: 'acme_eu', name: 'Acme Europe GmbH' }, base_domain: 'localhost' },
    });

    expect(await screen.findByRole('heading', { name: 'Sign in to Acme Europe GmbH' })).toBeInTheDocument();
    expect(screen.getByText('Acme Europe GmbH', { selector: 'strong' })).toBeInTheDocument();
    expect(screen.queryByText(/acme_eu/)).not.toBeInTheDocument();
    expect(document.title).toContain('Sign in to Acme Europe GmbH');
  });

  it('says every blank field at once, beside it, and sends nothing', async () => {
    let sent = 0;
    server.use(
      http.post('/api/auth/token/', () => {
        sent += 1;
        return HttpResponse.json({ access: 'a', refresh: 'r' });
      }),
    );
    const { user } = renderApp({ path: '/login', authenticated: false });

    await user.click(await screen.findByRole('button', { name: 'Sign in' }));

    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription('Enter your username.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(screen.getByLabelText('Username')).toHaveAttribute('aria-invalid', 'true');
    expect(sent).toBe(0);

    await user.type(screen.getByLabelText('Username'), 'admin');
    expect(screen.getByLabelText('Username')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
  });

  it("shows each of the API's field errors beside its field", async () => {
    server.use(
      http.post('/api/auth/token/', () =>
        HttpResponse.json({ username: ['Ensure this field has no more than 150 characters.'], password: ['Not a valid string.'] }, { status: 400 }),
      ),
    );
    const { user } = renderApp({ path: '/login', authenticated: false });

    await user.type(await screen.findByLabelText('Username'), 'u'.repeat(151));
    await user.type(screen.getByLabelText('Password'), 'x');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('Ensure this field has no more than 150 characters.')).toBeInTheDocument();
    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription('Ensure this field has no more than 150 characters.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Not a valid string.');
    expect(screen.getByRole('alert')).toHaveTextContent('Fix the highlighted fields.');
  });

  it('says so when the credentials are wrong', async () => {
    server.use(http.post('/api/auth/token/', () => HttpResponse.json({ detail: 'No active account found with the given credentials' }, { status: 401 })));
    const { user } = renderApp({ path: '/login', authenticated: false });

    await user.type(await screen.findByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username or password.');
    expect(readTokens()).toBeNull();
  });

  it('asks to wait when login is throttled', async () => {
    server.use(http.post('/api/auth/token/', () => HttpResponse.json({ detail: 'Request was throttled.' }, { status: 429 })));
    const { user } = renderApp({ path: '/login', authenticated: false });

    await user.type(await screen.findByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'x');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Too many attempts, try again later.');
  });

  it('shows the operator sign-in on the root host', async () => {
    renderApp({ path: '/', host: platformHost, authenticated: false });
    expect(await screen.findByRole('heading', { name: 'Operator sign in' })).toBeInTheDocument();
  });

  it('logs out: revokes the refresh token and returns to the login page', async () => {
    let revoked: unknown = null;
    server.use(
      http.post('/api/auth/logout/', async ({ request }) => {
        revoked = await request.json();
        return new HttpResponse(null, { status: 205 });
      }),
    );
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'Log out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Acme Corp' })).toBeInTheDocument();
    expect(screen.getByText('You have been logged out.')).toBeInTheDocument();
    expect(revoked).toEqual({ refresh: 'refresh-1' });
    expect(readTokens()).toBeNull();
  });
});

describe('session', () => {
  it('refreshes once on 401 and retries with the new token', async () => {
    const seen: (string | null)[] = [];
    server.use(
      http.get('/api/me/', ({ request }) => {
        const auth = request.headers.get('Authorization');
        seen.push(auth);
        return auth === 'Bearer access-2' ? HttpResponse.json(db.me) : HttpResponse.json({ detail: 'Token is invalid or expired' }, { status: 401 });
      }),
    );
    renderApp();

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeInTheDocument();
    expect(seen.slice(0, 2)).toEqual(['Bearer access-1', 'Bearer access-2']);
    expect(readTokens()).toEqual({ access: 'access-2', refresh: 'refresh-2' });
  });

  it('sends the person back to login with a message when the session cannot be refreshed', async () => {
    server.use(
      http.get('/api/me/', () => HttpResponse.json({ detail: 'Token is invalid or expired' }, { status: 401 })),
      http.post('/api/auth/token/refresh/', () => HttpResponse.json({ detail: 'Token is blacklisted' }, { status: 401 })),
    );
    writeTokens({ access: 'garbage', refresh: 'garbage' });
    renderApp({ path: '/reports', authenticated: false });

    expect(await screen.findByRole('heading', { name: 'Sign in to Acme Corp' })).toBeInTheDocument();
    expect(screen.getByText('Your session expired, please log in again.')).toBeInTheDocument();
    expect(readTokens()).toBeNull();
  });
});

describe('roles', () => {
  it('tells a tenant member they need the tenant-admin or auditor role', async () => {
    db.me = tenantMember;
    renderApp();
    expect(await screen.findByRole('heading', { name: 'You need the tenant-admin or auditor role' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Reports' })).not.toBeInTheDocument();
  });

  it('never shows the operator console on a tenant host', async () => {
    renderApp({ path: '/tenants' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Tenants' })).not.toBeInTheDocument();
  });

  it('shows operators the tenants console on the root host', async () => {
    db.me = operator;
    renderApp({ host: platformHost });
    expect(await screen.findByRole('heading', { name: 'Tenants' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('link', { name: 'Acme Inc' })).toBeInTheDocument());
  });

  it('tells a non-operator on the root host that this console is for operators', async () => {
    renderApp({ host: platformHost });
    expect(await screen.findByRole('heading', { name: 'You need to be a platform operator' })).toBeInTheDocument();
  });
});
