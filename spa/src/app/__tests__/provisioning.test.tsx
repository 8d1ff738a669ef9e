import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeAuditEntry, makeReport } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';
import { whyText } from '@/lib/why';

describe('why a user matched, and provisioning', () => {
  it('words the reason: last active when and through what, or never since joining', () => {
    expect(whyText({ last_active_at: '2026-03-14T10:00:00Z', last_active_source: 'sso', date_joined: '2025-01-01T00:00:00Z' })).toBe(
      'last active 14 Mar 2026 through sso',
    );
    expect(whyText({ last_active_at: '2026-03-14T10:00:00Z', last_active_source: 'login', date_joined: '2025-01-01T00:00:00Z' })).toBe(
      'last active 14 Mar 2026 through sign-in',
    );
    expect(whyText({ last_active_at: null, last_active_source: null, date_joined: '2026-01-02T08:00:00Z' })).toBe('never active since joining 2 Jan 2026');
  });

  it('shows each removed user why, with their activity per source', async () => {
    db.reports = [makeReport({ id: 7 })];
    server.use(
      http.get('/api/reports/:id/users/', () =>
        HttpResponse.json({
          count: 2,
          next: null,
          previous: null,
          results: [
            makeAuditEntry(1, {
              last_active_at: '2026-03-14T10:00:00Z',
              last_active_source: 'sso',
              activity: [
                { source: 'sso', at: '2026-03-14T10:00:00Z' },
                { source: 'vpn', at: '2026-01-02T10:00:00Z' },
              ],
            }),
            makeAuditEntry(2, { last_active_at: null, last_active_source: null, date_joined: '2026-01-02T08:00:00Z', reason: 'never_logged_in' }),
          ],
        }),
      ),
    );
    renderApp({ path: '/reports/7' });
    const audit = await screen.findByRole('table', { name: 'Audit list of run #7' });
    expect(within(audit).getByText('last active 14 Mar 2026 through sso')).toBeInTheDocument();
    expect(within(audit).getByText('sso 14 Mar 2026 · vpn 2 Jan 2026')).toBeInTheDocument();
    expect(within(audit).getByText('never active since joining 2 Jan 2026')).toBeInTheDocument();
  });

  it('tells a tenant admin the SCIM base URL and how to connect Okta and Entra ID', async () => {
    const { user } = renderApp({ path: '/' });
    await user.click(await screen.findByRole('link', { name: 'Provisioning' }));
    expect(await screen.findByRole('heading', { name: 'Provisioning (SCIM)', level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId('scim-base-url')).toHaveTextContent(`${window.location.origin}/scim/v2/`);
    expect(screen.getByRole('heading', { name: 'Okta' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Microsoft Entra ID' })).toBeInTheDocument();
    expect(screen.getByText(/API token of this tenant with the scope/)).toBeInTheDocument();
  });
});
