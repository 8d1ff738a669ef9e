import { screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { makeFleetSummary, makeReport, makeTenant, operator, platformHost } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';
import { formatNumber } from '@/lib/format';

beforeEach(() => {
  db.me = operator;
});

describe("operators' fleet summary", () => {
  it('shows the fleet in cards: tenants, runs of the last day, users removed, runs now', async () => {
    renderApp({ host: platformHost, path: '/tenants' });

    const figures = await screen.findByLabelText('Fleet figures');
    const stat = (label: string) => within(figures).getByText(label).closest('.stat') as HTMLElement;
    expect(within(stat('Tenants')).getByText(formatNumber(2000))).toBeInTheDocument();
    expect(within(stat('Tenants')).getByText(`${formatNumber(1990)} active`)).toBeInTheDocument();
    expect(within(stat('Runs, 24 h')).getByText(formatNumber(1956))).toBeInTheDocument();
    expect(within(stat('Runs, 24 h')).getByText(`${formatNumber(1950)} succeeded · 4 failed · 2 aborted`)).toBeInTheDocument();
    expect(within(stat('Removed, 24 h')).getByText(formatNumber(1234))).toBeInTheDocument();
    expect(within(stat('Removed, 30 days')).getByText(formatNumber(45678))).toBeInTheDocument();
    const now = screen.getByLabelText('Runs now');
    expect(now).toHaveTextContent('Queued 3');
    expect(now).toHaveTextContent('Running 2');
    expect(now).toHaveTextContent('Awaiting approval 1');
  });

  it('counts a created tenant in the fleet figures at once', async () => {
    server.use(
      http.post('/api/platform/tenants/', async ({ request }) => {
        const body = (await request.json()) as { name: string; schema_name: string };
        db.summary = { ...db.summary, tenants: db.summary.tenants + 1, active_tenants: db.summary.active_tenants + 1 };
        return HttpResponse.json(makeTenant(body.schema_name, { name: body.name, last_report: null }), { status: 201 });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    const figures = await screen.findByLabelText('Fleet figures');
    const tenants = () => within(figures).getByText('Tenants').closest('.stat') as HTMLElement;
    expect(within(tenants()).getByText(formatNumber(2000))).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'New tenant' }));
    const dialog = await screen.findByRole('dialog', { name: 'New tenant' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Tenant name' }), 'Initech');
    await user.type(within(dialog).getByRole('textbox', { name: 'Admin email' }), 'boss@initech.test');
    await user.type(within(dialog).getByLabelText('Admin password'), 'a-long-enough-password');
    await user.click(within(dialog).getByRole('button', { name: 'Create tenant' }));
    expect(await screen.findByText('Tenant Initech created')).toBeInTheDocument();

    // Well before the summary's own 15-second refresh.
    await waitFor(() => expect(within(tenants()).getByText(formatNumber(2001))).toBeInTheDocument(), { timeout: 2000 });
    expect(within(tenants()).getByText(`${formatNumber(1991)} active`)).toBeInTheDocument();
  });

  it('lists the runs that need attention, each linking to its tenant’s runs', async () => {
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    const list = await screen.findByRole('list', { name: 'Runs that need attention' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByText('Failed')).toBeInTheDocument();
    expect(within(items[1]!).getByText('Awaiting approval')).toBeInTheDocument();
    expect(within(items[1]!).getByText('waiting')).toBeInTheDocument();

    await user.click(within(list).getByRole('link', { name: 'Globex Inc · run #5' }));
    expect(await screen.findByRole('heading', { name: 'Reports for globex' })).toBeInTheDocument();
  });

  it('says when nothing needs attention and nothing is running', async () => {
    db.summary = makeFleetSummary({
      needs_attention: [],
      runs_24h: { queued: 0, running: 0, awaiting_approval: 0, succeeded: 0, failed: 0, aborted: 0 },
    });
    renderApp({ host: platformHost, path: '/tenants' });

    expect(await screen.findByText('Nothing needs attention')).toBeInTheDocument();
    expect(screen.getByLabelText('Runs now')).toHaveTextContent('No run is queued, running or awaiting approval.');
  });

  it('shows that the summary is loading, then its figures', async () => {
    server.use(
      http.get('/api/platform/summary/', async () => {
        await delay(300);
        return HttpResponse.json(db.summary);
      }),
    );
    renderApp({ host: platformHost, path: '/tenants' });

    expect(await screen.findByText('Loading the fleet summary…')).toBeInTheDocument();
    expect(await screen.findByLabelText('Fleet figures')).toBeInTheDocument();
    expect(screen.queryByText('Loading the fleet summary…')).not.toBeInTheDocument();
  });

  it('says when the summary cannot be loaded, keeps the tenants table, and retries', async () => {
    let calls = 0;
    server.use(
      http.get('/api/platform/summary/', () => {
        calls += 1;
        return calls === 1 ? HttpResponse.json({ detail: 'Server error.' }, { status: 500 }) : HttpResponse.json(db.summary);
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the fleet summary');
    expect(await screen.findByRole('table', { name: 'Tenants' })).toBeInTheDocument();
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('Fleet figures')).toBeInTheDocument();
  });
});

describe('tenants table at fleet scale', () => {
  it('shows a tenant’s active run beside its last one', async () => {
    db.tenants = [
      makeTenant('acme', { active_run: { id: null, status: 'queued', since: new Date().toISOString() } }),
      makeTenant('globex', { last_report: null, active_run: { id: 31, status: 'running', since: new Date().toISOString() } }),
    ];
    renderApp({ host: platformHost, path: '/tenants' });

    const table = await screen.findByRole('table', { name: 'Tenants' });
    const acme = within(table).getByRole('row', { name: /Acme Inc/ });
    expect(within(acme).getByText('Succeeded')).toBeInTheDocument();
    expect(within(acme).getByText('Queued')).toBeInTheDocument();
    const globex = within(table).getByRole('row', { name: /Globex Inc/ });
    expect(within(globex).getByText('Running')).toBeInTheDocument();
    expect(within(globex).getByText(/run #31/)).toBeInTheDocument();
    expect(within(globex).queryByText('Never run')).not.toBeInTheDocument();
  });

  it('sums up a trigger-all over many tenants instead of listing them all', async () => {
    const tenants = Array.from({ length: 30 }, (_, i) => ({ tenant: `t${i}` }));
    server.use(
      http.post('/api/platform/cleanup/trigger/', () =>
        HttpResponse.json({ trigger_id: 7, runs: tenants, skipped: [{ tenant: 'busy', reason: 'A cleanup is already running (report 3).' }] }, { status: 202 }),
      ),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    await screen.findByRole('table', { name: 'Tenants' });
    await user.click(screen.getByRole('button', { name: 'Trigger all tenants' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Start dry runs' }));

    const results = await screen.findByRole('list', { name: 'Trigger results' });
    expect(screen.getByText('Queued 30 runs, skipped 1')).toBeInTheDocument();
    expect(within(results).getAllByText('queued')).toHaveLength(20);
    expect(within(results).getByText('… and 10 more')).toBeInTheDocument();
  });
});

describe('tenant drill-in', () => {
  it('queues a dry run and shows its report once the worker has created it', async () => {
    let listed = 0;
    db.reports = [makeReport({ id: 1 })];
    server.use(
      http.get('/api/platform/tenants/:schema/reports/', () => {
        listed += 1;
        return HttpResponse.json({ count: db.reports.length, next: null, previous: null, results: db.reports });
      }),
      http.post('/api/platform/cleanup/trigger/', () => {
        // The worker takes the run a moment later and creates its report.
        setTimeout(() => db.reports.unshift(makeReport({ id: 2, status: 'queued', created_at: new Date().toISOString(), dry_run: true })), 100);
        return HttpResponse.json({ trigger_id: 7, runs: [{ tenant: 'acme' }], skipped: [] }, { status: 202 });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants/acme' });
    await screen.findByRole('table', { name: 'Cleanup reports of acme' });

    await user.click(screen.getByRole('button', { name: 'Start a dry run' }));

    expect(await screen.findByText(/Dry run queued/)).toBeInTheDocument();
    expect(await screen.findByText('Run #2', {}, { timeout: 5000 })).toBeInTheDocument();
    await waitFor(() => expect(listed).toBeGreaterThan(1));
  });
});
