import { screen, within } from '@testing-library/react';
import { makeActivityEvent, makeAwaitingReport, makeExemption, makeReport, tenantAuditor } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

const READ_ONLY = 'Your auditor role can read everything here; only tenant admins can change it.';

/** Every request the page sends that is not a read (the preview is one, though a POST). */
function recordWrites(): string[] {
  const writes: string[] = [];
  server.events.on('request:start', ({ request }) => {
    const path = new URL(request.url).pathname;
    if (request.method !== 'GET' && path !== '/api/cleanup/preview/') writes.push(`${request.method} ${path}`);
  });
  return writes;
}

describe('an auditor', () => {
  let writes: string[];
  beforeEach(() => {
    db.me = tenantAuditor;
    writes = recordWrites();
  });
  afterEach(() => server.events.removeAllListeners());

  it('sees the overview read-only: no run button, and a run awaiting approval without Approve or Reject', async () => {
    db.reports = [makeAwaitingReport({ id: 7 }), makeReport({ id: 6 })];
    renderApp({ path: '/' });

    expect(await screen.findByRole('heading', { name: 'Overview' })).toBeInTheDocument();
    expect(screen.getByText('Auditor · read-only')).toHaveAttribute('title', READ_ONLY);
    expect(screen.getByText('Only tenant admins can start a cleanup. A run in progress shows here as it goes.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run cleanup now' })).not.toBeInTheDocument();

    const banner = await screen.findByRole('region', { name: 'Run #7 is waiting for a tenant admin’s approval' });
    expect(banner).toHaveTextContent('Only tenant admins can approve or reject it.');
    expect(within(banner).queryByRole('button')).not.toBeInTheDocument();
    expect(writes).toEqual([]);
  });

  it('reads a run and its audit list, with nothing to undo or reactivate', async () => {
    db.reports = [makeReport({ id: 5 })];
    renderApp({ path: '/reports/5' });

    const table = await screen.findByRole('table', { name: 'Audit list of run #5' });
    expect(within(table).getAllByText('Not reactivated').length).toBeGreaterThan(0);
    expect(within(table).queryByRole('button', { name: /Reactivate/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Undo this run' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download CSV' })).toBeEnabled();
    expect(writes).toEqual([]);
  });

  it('reads the policy and its preview but cannot edit or save it', async () => {
    renderApp({ path: '/policy' });

    expect(await screen.findByTestId('preview-headline')).toHaveTextContent('With these settings 3 of 120 users are past the limits.');
    expect(screen.getByText(/only tenant admins can change it/)).toBeInTheDocument();
    expect(screen.getByRole('spinbutton', { name: /Inactive for more than/ })).toBeDisabled();
    expect(screen.getByRole('radio', { name: /Delete/ })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Hourly' })).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Save policy' })).not.toBeInTheDocument();
    expect(screen.getByText(/^Read-only: only tenant admins can change the policy/)).toBeInTheDocument();
    expect(writes).toEqual([]);
  });

  it('lists exemptions without adding or removing any', async () => {
    db.exemptions = [makeExemption(1, { username: 'ceo' })];
    renderApp({ path: '/exemptions' });

    const table = await screen.findByRole('table', { name: 'Exempt users' });
    expect(within(table).getByRole('row', { name: /ceo/ })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add exemption' })).not.toBeInTheDocument();
    expect(within(table).queryByRole('button', { name: /Remove/ })).not.toBeInTheDocument();
    expect(screen.getByText(/only tenant admins can change it/)).toBeInTheDocument();
  });

  it('reads the activity log, role changes in words', async () => {
    db.activity = [makeActivityEvent(1, { verb: 'user.role_changed', target: 'carol', data: { user_id: 9, old: null, new: 'auditor' } })];
    renderApp({ path: '/activity' });

    expect(await screen.findByText('changed a user’s role')).toBeInTheDocument();
    expect(screen.getByText(/no role → auditor/)).toBeInTheDocument();
  });
});

describe('a tenant admin', () => {
  it('has the run button, Approve / Reject, and no read-only badge', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    renderApp({ path: '/' });

    const banner = await screen.findByRole('region', { name: 'Run #7 is waiting for your approval' });
    expect(within(banner).getByRole('button', { name: 'Approve' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run cleanup now' })).toBeInTheDocument();
    expect(screen.queryByText('Auditor · read-only')).not.toBeInTheDocument();
  });
});
