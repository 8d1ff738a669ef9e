import { screen } from '@testing-library/react';
import { HOST_META, loadHostConfig, type HostConfig } from '@/lib/host';
import { db } from '@/testing/handlers';
import { operator } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';

/**
 * The console is whatever the server says this host is (a meta tag in
 * index.html), whatever the host name looks like: the address the page is
 * opened on is set to one that hostname parsing used to misread.
 */
function openPageAt(url: string, injected: HostConfig | null) {
  jsdom.reconfigure({ url });
  document.head.querySelector(`meta[name="${HOST_META}"]`)?.remove();
  if (injected) {
    const meta = document.createElement('meta');
    meta.name = HOST_META;
    meta.content = JSON.stringify(injected);
    document.head.append(meta);
  }
}

afterEach(() => openPageAt('http://localhost:3000/', null));

describe('which console', () => {
  it('is the operators’ console on a multi-label root domain', async () => {
    openPageAt('http://console.example.com/', { console: 'platform', tenant: null, base_domain: 'console.example.com' });
    db.me = operator;
    const { user } = renderApp({ host: await loadHostConfig(), authenticated: false });

    expect(await screen.findByRole('heading', { name: 'Operator sign in' })).toBeInTheDocument();
    await user.type(screen.getByLabelText('Username'), 'operator');
    await user.type(screen.getByLabelText('Password'), 'operator-pass');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Tenants' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: /Sign in to/ })).not.toBeInTheDocument();
  });

  it('offers new tenants a subdomain of the root domain the server names', async () => {
    openPageAt('http://console.example.com/', { console: 'platform', tenant: null, base_domain: 'console.example.com' });
    db.me = operator;
    const { user } = renderApp({ host: await loadHostConfig(), path: '/tenants' });

    await user.click(await screen.findByRole('button', { name: 'New tenant' }));
    await user.type(screen.getByRole('textbox', { name: 'Tenant name' }), 'Initech');

    expect(screen.getByRole('textbox', { name: /Domain/ })).toHaveAttribute('placeholder', 'initech.console.example.com');
  });

  it('is the tenant’s console on a custom two-label domain', async () => {
    openPageAt('http://acme-corp.test/', { console: 'tenant', tenant: { schema_name: 'acme', name: 'Acme Corp' }, base_domain: 'example.com' });
    const { user } = renderApp({ host: await loadHostConfig(), authenticated: false });

    expect(await screen.findByRole('heading', { name: 'Sign in to Acme Corp' })).toBeInTheDocument();
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'admin-pass');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeInTheDocument();
    expect(screen.getByText('Acme Corp')).toBeInTheDocument();
  });

  it('asks the backend when no config was injected (the Vite dev server)', async () => {
    openPageAt('http://localhost:3000/', null);
    db.host = { console: 'platform', tenant: null, base_domain: 'localhost' };

    renderApp({ host: await loadHostConfig(), authenticated: false });

    expect(await screen.findByRole('heading', { name: 'Operator sign in' })).toBeInTheDocument();
  });

  it('ignores a malformed meta tag and asks the backend instead', async () => {
    openPageAt('http://localhost:3000/', null);
    const meta = document.createElement('meta');
    meta.name = HOST_META;
    meta.content = '{"console": "tenant"';
    document.head.append(meta);

    expect(await loadHostConfig()).toEqual(db.host);
  });
});
