import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeTenant, operator, platformHost } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

beforeEach(() => {
  db.me = operator;
});

describe('operator console', () => {
  it('lists tenants with schedule, next run and last run', async () => {
    db.tenants = [
      makeTenant('acme', { last_report: { id: 4, status: 'succeeded', finished_at: new Date().toISOString(), users_removed: 7 } }),
      makeTenant('globex', { last_report: null, schedule: { enabled: false, schedule: '0 3 * * *', timezone: 'UTC', next_run_at: null } }),
    ];
    renderApp({ host: platformHost, path: '/tenants' });

    const table = await screen.findByRole('table', { name: 'Tenants' });
    const acme = within(table).getByRole('row', { name: /Acme Inc/ });
    expect(within(acme).getByText('Succeeded')).toBeInTheDocument();
    expect(within(acme).getByText('7')).toBeInTheDocument();
    expect(within(acme).getByRole('link', { name: 'acme.localhost' })).toBeInTheDocument();
    const globex = within(table).getByRole('row', { name: /Globex Inc/ });
    expect(within(globex).getByText('Never run')).toBeInTheDocument();
    expect(within(globex).getByText('schedule off')).toBeInTheDocument();
  });

  it('triggers the selected tenants and shows which started and which were skipped', async () => {
    let sent: unknown = null;
    server.use(
      http.post('/api/platform/cleanup/trigger/', async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ trigger_id: 7, runs: [{ tenant: 'acme' }], skipped: [{ tenant: 'globex', reason: 'already_running' }] }, { status: 202 });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('checkbox', { name: 'Select Acme Inc' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select Globex Inc' }));
    await user.click(screen.getByRole('button', { name: 'Trigger selected' }));
    const dialog = await screen.findByRole('dialog', { name: 'Run cleanup on selected tenants?' });
    expect(within(dialog).getByText(/2 tenant\(s\): acme, globex will get a dry run/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Start dry runs' }));

    expect(sent).toEqual({ tenants: ['acme', 'globex'], dry_run: true });
    const results = await screen.findByRole('list', { name: 'Trigger results' });
    expect(within(results).getByRole('link', { name: 'acme' })).toHaveAttribute('href', '/tenants/acme');
    expect(within(results).getByText(/a cleanup is already running/)).toBeInTheDocument();
    expect(screen.getByText('Queued 1 run, skipped 1')).toBeInTheDocument();
  });

  it('follows the runs it queued: each report id and status as the workers create them', async () => {
    let asked = 0;
    server.use(
      http.post('/api/platform/cleanup/trigger/', () =>
        HttpResponse.json({ trigger_id: 7, runs: [{ tenant: 'acme' }, { tenant: 'globex' }], skipped: [] }, { status: 202 }),
      ),
      http.get('/api/platform/triggers/7/', ({ request }) => {
        asked += 1;
        expect(new URL(request.url).searchParams.get('page_size')).toBe('20');
        const done = asked > 1;
        return HttpResponse.json({
          id: 7,
          created_at: '2026-01-01T00:00:00Z',
          created_by: 'operator',
          count: 2,
          next: null,
          previous: null,
          results: [
            { tenant: 'acme', report_id: done ? 12 : null, status: done ? 'succeeded' : 'queued' },
            { tenant: 'globex', report_id: null, status: done ? 'withdrawn' : 'queued' },
          ],
        });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('checkbox', { name: 'Select Acme Inc' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select Globex Inc' }));
    await user.click(screen.getByRole('button', { name: 'Trigger selected' }));
    const dialog = await screen.findByRole('dialog', { name: 'Run cleanup on selected tenants?' });
    await user.click(within(dialog).getByRole('button', { name: 'Start dry runs' }));

    const results = await screen.findByRole('list', { name: 'Trigger results' });
    const acme = (await within(results).findByText(/report 12/, {}, { timeout: 5000 })).closest('li') as HTMLElement;
    expect(within(acme).getByText('Succeeded')).toBeInTheDocument();
    const globex = within(results).getByRole('link', { name: 'globex' }).closest('li') as HTMLElement;
    expect(within(globex).getByText('withdrawn')).toBeInTheDocument();
  });

  it('triggers all tenants without naming them', async () => {
    let sent: unknown = null;
    server.use(
      http.post('/api/platform/cleanup/trigger/', async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ trigger_id: 7, runs: [], skipped: [] }, { status: 202 });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    await screen.findByRole('table', { name: 'Tenants' });
    await user.click(screen.getByRole('switch', { name: 'Dry run' }));
    await user.click(screen.getByRole('button', { name: 'Trigger all tenants' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Start cleanups' }));
    await waitFor(() => expect(sent).toEqual({ dry_run: false }));
  });

  it('creates a tenant, showing the API field errors inline first', async () => {
    let attempts = 0;
    server.use(
      http.post('/api/platform/tenants/', async ({ request }) => {
        attempts += 1;
        const body = (await request.json()) as {
          name: string;
          schema_name: string;
          domain?: string;
          admin: { username: string; email: string; password: string };
        };
        if (attempts === 1) {
          return HttpResponse.json(
            { schema_name: ['A tenant with this schema name already exists.'], admin: { password: ['This password is too short.'] } },
            { status: 400 },
          );
        }
        expect(body).toEqual({
          name: 'Initech',
          schema_name: 'initech2',
          admin: { username: 'boss', email: 'boss@initech.test', password: 'a-much-longer-password' },
        });
        const tenant = makeTenant(body.schema_name, { name: body.name, last_report: null, domain: 'initech2.localhost' });
        db.tenants.push(tenant);
        return HttpResponse.json(tenant, { status: 201 });
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('button', { name: 'New tenant' }));
    const dialog = await screen.findByRole('dialog', { name: 'New tenant' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Tenant name' }), 'Initech');
    expect(within(dialog).getByRole('textbox', { name: 'Schema name' })).toHaveValue('initech');
    const username = within(dialog).getByRole('textbox', { name: 'Admin username' });
    await user.clear(username);
    await user.type(username, 'boss');
    await user.type(within(dialog).getByRole('textbox', { name: 'Admin email' }), 'boss@initech.test');
    await user.type(within(dialog).getByLabelText('Admin password'), 'short');
    await user.click(within(dialog).getByRole('button', { name: 'Create tenant' }));

    expect(await within(dialog).findByText('A tenant with this schema name already exists.')).toBeInTheDocument();
    expect(within(dialog).getByRole('textbox', { name: 'Schema name' })).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByLabelText('Admin password')).toHaveAccessibleDescription('This password is too short.');

    const schema = within(dialog).getByRole('textbox', { name: 'Schema name' });
    await user.clear(schema);
    await user.type(schema, 'initech2');
    const password = within(dialog).getByLabelText('Admin password');
    await user.clear(password);
    await user.type(password, 'a-much-longer-password');
    await user.click(within(dialog).getByRole('button', { name: 'Create tenant' }));

    expect(await screen.findByText('Tenant Initech created')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Initech' })).toBeInTheDocument();
  });

  it("shows every field's problem from one 400 beside its field", async () => {
    let attempts = 0;
    server.use(
      http.post('/api/platform/tenants/', () => {
        attempts += 1;
        return HttpResponse.json(
          {
            name: ['This field may not be blank.'],
            schema_name: ["'public' is reserved: choose another schema name."],
            domain: ["The domain 'acme.localhost' is already taken."],
            admin: { email: ['Enter a valid email address.'], password: ['This password is too short.'] },
          },
          { status: 400 },
        );
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('button', { name: 'New tenant' }));
    const dialog = await screen.findByRole('dialog', { name: 'New tenant' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Schema name' }), 'public');
    await user.click(within(dialog).getByRole('button', { name: 'Create tenant' }));

    await waitFor(() => expect(within(dialog).getByRole('textbox', { name: 'Tenant name' })).toHaveAccessibleDescription(/This field may not be blank/));
    expect(within(dialog).getByRole('textbox', { name: 'Schema name' })).toHaveAccessibleDescription(/'public' is reserved/);
    expect(within(dialog).getByRole('textbox', { name: /Domain/ })).toHaveAccessibleDescription(/already taken/);
    expect(within(dialog).getByRole('textbox', { name: 'Admin email' })).toHaveAccessibleDescription('Enter a valid email address.');
    expect(within(dialog).getByLabelText('Admin password')).toHaveAccessibleDescription('This password is too short.');
    for (const field of ['Tenant name', 'Schema name', 'Admin email']) {
      expect(within(dialog).getByRole('textbox', { name: field })).toHaveAttribute('aria-invalid', 'true');
    }
    expect(attempts).toBe(1);
  });

  it("drills into a tenant's reports", async () => {
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    await user.click(await screen.findByRole('link', { name: 'Acme Inc' }));
    expect(await screen.findByRole('heading', { name: 'Reports for acme' })).toBeInTheDocument();
    expect(await screen.findByRole('table', { name: 'Cleanup reports of acme' })).toBeInTheDocument();
  });
});

describe('tenants table: search, filter, sort', () => {
  /** The query strings the tenants list was fetched with, in order. */
  function recordListQueries(): URLSearchParams[] {
    const seen: URLSearchParams[] = [];
    server.events.on('request:start', ({ request }) => {
      const url = new URL(request.url);
      if (request.method === 'GET' && url.pathname === '/api/platform/tenants/') seen.push(url.searchParams);
    });
    return seen;
  }
  afterEach(() => server.events.removeAllListeners());

  beforeEach(() => {
    db.tenants = [
      makeTenant('acme', { last_report: { id: 4, status: 'succeeded', finished_at: new Date().toISOString(), users_removed: 7 } }),
      makeTenant('globex', { last_report: { id: 5, status: 'failed', finished_at: new Date().toISOString(), users_removed: 0 } }),
      makeTenant('initech', { last_report: null }),
    ];
  });

  it('searches on the server once the typing settles', async () => {
    const seen = recordListQueries();
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    const table = await screen.findByRole('table', { name: 'Tenants' });
    await user.type(screen.getByRole('searchbox', { name: 'Search tenants' }), 'GLOB');

    await waitFor(() => expect(within(table).queryByRole('row', { name: /Acme Inc/ })).not.toBeInTheDocument());
    expect(within(table).getByRole('row', { name: /Globex Inc/ })).toBeInTheDocument();
    expect(seen.map((q) => q.get('search'))).toEqual([null, 'GLOB']);
  });

  it('filters by the last run status', async () => {
    const seen = recordListQueries();
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    const table = await screen.findByRole('table', { name: 'Tenants' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Last run status' }), 'Never run');

    await waitFor(() => expect(within(table).queryByRole('row', { name: /Acme Inc/ })).not.toBeInTheDocument());
    expect(within(table).getByRole('row', { name: /Initech Inc/ })).toBeInTheDocument();
    expect(seen.at(-1)?.get('status')).toBe('never');
  });

  it('sorts by a column header, and a second click reverses it', async () => {
    const seen = recordListQueries();
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    await screen.findByRole('table', { name: 'Tenants' });
    const header = () => screen.getByRole('columnheader', { name: /Last run/ });
    expect(header()).toHaveAttribute('aria-sort', 'none');

    await user.click(within(header()).getByRole('button', { name: /Last run/ }));
    await waitFor(() => expect(seen.at(-1)?.get('ordering')).toBe('last_run'));
    expect(header()).toHaveAttribute('aria-sort', 'ascending');

    await user.click(within(header()).getByRole('button', { name: /Last run/ }));
    await waitFor(() => expect(seen.at(-1)?.get('ordering')).toBe('-last_run'));
    expect(header()).toHaveAttribute('aria-sort', 'descending');
    expect(screen.getByRole('columnheader', { name: /Tenant/ })).toHaveAttribute('aria-sort', 'none');
  });

  it('says when no tenant matches, and clears the filters', async () => {
    const { user } = renderApp({ host: platformHost, path: '/tenants' });
    await screen.findByRole('table', { name: 'Tenants' });
    await user.type(screen.getByRole('searchbox', { name: 'Search tenants' }), 'nothing like it');

    expect(await screen.findByText('No tenants match')).toBeInTheDocument();
    expect(screen.queryByText('No tenants yet')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(await screen.findByRole('row', { name: /Acme Inc/ })).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search tenants' })).toHaveValue('');
  });

  it('keeps the view of the URL across a reload', async () => {
    const seen = recordListQueries();
    renderApp({ host: platformHost, path: '/tenants?search=glob&status=failed&ordering=-name' });
    expect(await screen.findByRole('row', { name: /Globex Inc/ })).toBeInTheDocument();

    expect(seen[0]?.get('search')).toBe('glob');
    expect(seen[0]?.get('status')).toBe('failed');
    expect(seen[0]?.get('ordering')).toBe('-name');
    expect(screen.getByRole('searchbox', { name: 'Search tenants' })).toHaveValue('glob');
    expect(screen.getByRole('combobox', { name: 'Last run status' })).toHaveValue('failed');
    expect(screen.getByRole('columnheader', { name: /Tenant/ })).toHaveAttribute('aria-sort', 'descending');
  });
});

describe('tenant drill-in', () => {
  it('starts a dry run for just this tenant and says when it is skipped', async () => {
    let sent: unknown = null;
    server.use(
      http.post('/api/platform/cleanup/trigger/', async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(
          { trigger_id: 7, runs: [], skipped: [{ tenant: 'acme', reason: 'A cleanup is already queued or running (report 4).' }] },
          { status: 202 },
        );
      }),
    );
    const { user } = renderApp({ host: platformHost, path: '/tenants/acme' });
    await user.click(await screen.findByRole('button', { name: 'Start a dry run' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('A cleanup is already queued or running (report 4).');
    expect(sent).toEqual({ tenants: ['acme'], dry_run: true });
    expect(document.title).toBe('Reports of acme · Cleanup Console');
  });
});
