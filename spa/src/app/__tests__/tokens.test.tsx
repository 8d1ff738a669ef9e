import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeApiToken, makePolicy, makeServiceAccount, operator, platformHost, tenantAuditor } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

const TENANT_SCOPES = [
  'reports:read',
  'audit:read',
  'policy:read',
  'policy:write',
  'cleanup:run',
  'oversight:write',
  'exemptions:write',
  'signals:write',
  'scim',
  'webhooks:write',
];
const DAY = 24 * 3600_000;

/** The scope checkboxes the create dialog offers, by their scope name. */
function offeredScopes(dialog: HTMLElement): string[] {
  const group = within(dialog).getByRole('group', { name: 'Scopes' });
  return within(group)
    .getAllByRole('checkbox')
    .map((box) => box.closest('label')?.querySelector('code')?.textContent ?? '');
}

function postedBodies(path: string): unknown[] {
  const sent: unknown[] = [];
  server.events.on('request:start', ({ request }) => {
    if (request.method === 'POST' && new URL(request.url).pathname === path)
      void request
        .clone()
        .json()
        .then((b) => sent.push(b));
  });
  return sent;
}

describe('API tokens', () => {
  afterEach(() => server.events.removeAllListeners());

  it('is reached from the navigation and lists tokens with scopes, owner, last use and expiry', async () => {
    const now = Date.now();
    db.tokens = [
      makeApiToken(3, {
        name: 'Backup job',
        owner: 'bot1',
        owner_kind: 'service',
        scopes: ['reports:read', 'audit:read'],
        last_used_at: new Date(now - 2 * 3600_000).toISOString(),
        expires_at: new Date(now + 3 * DAY).toISOString(),
      }),
      makeApiToken(2, { name: 'Old script', status: 'revoked', revoked_reason: 'owner', expires_at: new Date(now + 60 * DAY).toISOString() }),
      makeApiToken(1, { name: 'Exporter', expires_at: new Date(now + 60 * DAY).toISOString() }),
    ];
    const { user } = renderApp({ path: '/' });

    await user.click(await screen.findByRole('link', { name: 'API tokens' }));

    const table = await screen.findByRole('table', { name: 'API tokens' });
    const backup = within(table).getByRole('row', { name: /Backup job/ });
    expect(within(backup).getByRole('list', { name: 'Scopes of Backup job' })).toHaveTextContent('reports:readaudit:read');
    expect(within(backup).getByText('bot1')).toBeInTheDocument();
    expect(within(backup).getByText('service account')).toBeInTheDocument();
    expect(within(backup).getByText('2 hours ago')).toHaveAttribute('title');
    expect(within(backup).getByText('Expires soon')).toBeInTheDocument();
    expect(within(backup).getByRole('button', { name: 'Revoke the token Backup job' })).toBeInTheDocument();

    const exporter = within(table).getByRole('row', { name: /Exporter/ });
    expect(within(exporter).getByText('never')).toBeInTheDocument();
    expect(within(exporter).queryByText('Expires soon')).not.toBeInTheDocument();

    const old = within(table).getByRole('row', { name: /Old script/ });
    expect(old).toHaveClass('row-expired');
    expect(within(old).getByText('Revoked')).toBeInTheDocument();
    expect(within(old).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
  });

  it('says so when there are none, and shows a failed load with a retry', async () => {
    let calls = 0;
    server.use(
      http.get('/api/tokens/', () => {
        calls += 1;
        return calls === 1 ? HttpResponse.json({ detail: 'boom' }, { status: 500 }) : HttpResponse.json({ count: 0, next: null, previous: null, results: [] });
      }),
    );
    const { user } = renderApp({ path: '/tokens' });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load API tokens');
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No API tokens yet')).toBeInTheDocument();
  });

  it('creates a token, shows its secret once with a note, and forgets it when the dialog closes', async () => {
    const sent = postedBodies('/api/tokens/');
    db.policy = makePolicy({ token_max_days: 30 });
    const { user } = renderApp({ path: '/tokens' });

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Nightly export');
    await user.click(within(dialog).getByRole('checkbox', { name: /reports:read/ }));
    await user.click(within(dialog).getByRole('checkbox', { name: /audit:read/ }));
    // The tenant's token_max_days (30) is below the default 90: the default is the limit.
    const days = within(dialog).getByRole('spinbutton', { name: 'Expires in (days)' });
    await waitFor(() => expect(days).toHaveValue(30));
    expect(days).toHaveAttribute('max', '30');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    const shown = await screen.findByRole('dialog', { name: 'Copy your new API token' });
    expect(sent).toEqual([{ name: 'Nightly export', scopes: ['reports:read', 'audit:read'], expires_in_days: 30 }]);
    const secret = within(shown).getByRole('textbox', { name: /API token “Nightly export”/ });
    expect(secret).toHaveValue('cc_new00001_s3cretS3cretS3cret1');
    expect(secret).toHaveAttribute('readonly');
    expect(within(shown).getByText('You will not see this token again')).toBeInTheDocument();

    await user.click(within(shown).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    const table = await screen.findByRole('table', { name: 'API tokens' });
    expect(within(table).getByRole('row', { name: /Nightly export/ })).toBeInTheDocument();
    expect(screen.queryByDisplayValue(/s3cret/)).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('s3cret');

    // Opened again, the dialog starts afresh: no secret, an empty form.
    await user.click(screen.getAllByRole('button', { name: 'Create token' })[0]!);
    const again = await screen.findByRole('dialog', { name: 'Create an API token' });
    expect(within(again).getByRole('textbox', { name: 'Name' })).toHaveValue('');
    expect(document.body).not.toHaveTextContent('s3cret');
  });

  it('copies the secret to the clipboard, and says how to copy by hand when the browser refuses', async () => {
    const { user } = renderApp({ path: '/tokens' });
    const writeText = vi.spyOn(navigator.clipboard, 'writeText');

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'CI');
    await user.click(within(dialog).getByRole('checkbox', { name: /cleanup:run/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));
    const shown = await screen.findByRole('dialog', { name: 'Copy your new API token' });

    await user.click(within(shown).getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith('cc_new00001_s3cretS3cretS3cret1');
    expect(await navigator.clipboard.readText()).toBe('cc_new00001_s3cretS3cretS3cret1');
    expect(within(shown).getByRole('status')).toHaveTextContent('Copied to the clipboard.');

    writeText.mockRejectedValueOnce(new Error('NotAllowedError'));
    await user.click(within(shown).getByRole('button', { name: 'Copy' }));
    expect(await within(shown).findByText(/press Ctrl\+C/)).toBeInTheDocument();
    writeText.mockRestore();
  });

  it('shows every field the server refused, by field', async () => {
    server.use(
      http.post('/api/tokens/', () =>
        HttpResponse.json({ name: ['Ensure this field has no more than 100 characters.'], expires_in_days: ['Must be from 1 to 30.'] }, { status: 400 }),
      ),
    );
    const { user } = renderApp({ path: '/tokens' });

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    const name = within(dialog).getByRole('textbox', { name: 'Name' });
    await waitFor(() => expect(name).toHaveAttribute('aria-invalid', 'true'));
    expect(name).toHaveAccessibleDescription(expect.stringContaining('no more than 100 characters'));
    expect(within(dialog).getByRole('spinbutton', { name: 'Expires in (days)' })).toHaveAccessibleDescription(expect.stringContaining('Must be from 1 to 30.'));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('The token was not created');
    expect(screen.queryByRole('dialog', { name: 'Copy your new API token' })).not.toBeInTheDocument();
  });

  it('shows an empty scope list refused by the server at the scopes', async () => {
    const { user } = renderApp({ path: '/tokens' });

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'No scopes');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    expect(await within(dialog).findByText('This list may not be empty.')).toBeInTheDocument();
    expect(within(dialog).getByRole('group', { name: 'Scopes' })).toHaveAccessibleDescription(expect.stringContaining('This list may not be empty.'));
    expect(db.tokens).toEqual([]);
  });

  it('revokes a token after a confirmation naming it', async () => {
    db.tokens = [makeApiToken(1, { name: 'Exporter' })];
    const { user } = renderApp({ path: '/tokens' });

    await user.click(await screen.findByRole('button', { name: 'Revoke the token Exporter' }));
    const dialog = await screen.findByRole('dialog', { name: 'Revoke the token “Exporter”?' });
    expect(dialog).toHaveTextContent('cc_pfx00001_…');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(db.tokens[0]!.status).toBe('active');

    await user.click(screen.getByRole('button', { name: 'Revoke the token Exporter' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke token' }));

    expect(await screen.findByText('The token “Exporter” was revoked.')).toBeInTheDocument();
    expect(db.tokens[0]!.status).toBe('revoked');
    const row = within(screen.getByRole('table', { name: 'API tokens' })).getByRole('row', { name: /Exporter/ });
    await within(row).findByText('Revoked');
  });

  it('says why a revoke failed, in the dialog', async () => {
    db.tokens = [makeApiToken(1, { name: 'Exporter' })];
    server.use(http.delete('/api/tokens/:id/', () => HttpResponse.json({ detail: 'The task queue is unavailable.' }, { status: 503 })));
    const { user } = renderApp({ path: '/tokens' });

    await user.click(await screen.findByRole('button', { name: 'Revoke the token Exporter' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    expect(await within(dialog).findByRole('alert')).toBeInTheDocument();
  });

  it('offers a tenant admin every tenant scope, and a service account as owner within its own role', async () => {
    const sent = postedBodies('/api/tokens/');
    db.serviceAccounts = [makeServiceAccount(1, { username: 'reader-bot', role: 'auditor' }), makeServiceAccount(2, { username: 'ops-bot', role: 'admin' })];
    const { user } = renderApp({ path: '/tokens' });

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    expect(offeredScopes(dialog)).toEqual(TENANT_SCOPES);
    await user.click(within(dialog).getByRole('checkbox', { name: /policy:write/ }));
    await user.click(within(dialog).getByRole('checkbox', { name: /reports:read/ }));

    const owner = within(dialog).getByRole('combobox', { name: 'Owner' });
    await within(owner).findByRole('option', { name: 'reader-bot (service account, auditor)' });
    await user.selectOptions(owner, 'reader-bot');
    // An auditor's service account: read scopes only; the write scope ticked before is dropped.
    expect(offeredScopes(dialog)).toEqual(['reports:read', 'audit:read', 'policy:read']);
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Reader');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    await screen.findByRole('dialog', { name: 'Copy your new API token' });
    expect(sent).toEqual([{ name: 'Reader', scopes: ['reports:read'], expires_in_days: 90, owner: 'reader-bot' }]);
  });

  it('offers an auditor only the read scopes, and no owner', async () => {
    db.me = tenantAuditor;
    const { user } = renderApp({ path: '/tokens' });

    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    expect(offeredScopes(dialog)).toEqual(['reports:read', 'audit:read', 'policy:read']);
    expect(within(dialog).queryByRole('combobox', { name: 'Owner' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Service accounts' })).not.toBeInTheDocument();
  });

  it('gives an operator on the root host their own tokens with the platform scopes', async () => {
    db.host = platformHost;
    db.me = operator;
    const sent = postedBodies('/api/tokens/');
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('link', { name: 'API tokens' }));
    await user.click((await screen.findAllByRole('button', { name: 'Create token' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    expect(offeredScopes(dialog)).toEqual(['platform:read', 'platform:run']);
    const days = within(dialog).getByRole('spinbutton', { name: 'Expires in (days)' });
    expect(days).toHaveValue(90);
    expect(days).toHaveAttribute('max', '366');
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Fleet monitor');
    await user.click(within(dialog).getByRole('checkbox', { name: /platform:read/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    await screen.findByRole('dialog', { name: 'Copy your new API token' });
    expect(sent).toEqual([{ name: 'Fleet monitor', scopes: ['platform:read'], expires_in_days: 90 }]);
  });
});

describe('service accounts', () => {
  afterEach(() => server.events.removeAllListeners());

  it('are listed for a tenant admin, reached from the navigation', async () => {
    db.serviceAccounts = [makeServiceAccount(1, { username: 'backup-bot', name: 'Nightly backup', tokens_active: 2 })];
    const { user } = renderApp({ path: '/' });

    await user.click(await screen.findByRole('link', { name: 'Service accounts' }));
    const table = await screen.findByRole('table', { name: 'Service accounts' });
    const row = within(table).getByRole('row', { name: /backup-bot/ });
    expect(within(row).getByText('Nightly backup')).toBeInTheDocument();
    expect(within(row).getByText('tenant admin')).toBeInTheDocument();
    expect(within(row).getByText('2')).toBeInTheDocument();
  });

  it('are not offered to an auditor: no navigation entry, and the address says who may', async () => {
    db.me = tenantAuditor;
    renderApp({ path: '/service-accounts' });

    expect(await screen.findByRole('heading', { name: 'You need the tenant-admin role' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Service accounts' })).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('says so when there are none', async () => {
    renderApp({ path: '/service-accounts' });
    expect(await screen.findByText('No service accounts yet')).toBeInTheDocument();
  });

  it('creates one, showing the API errors by field', async () => {
    db.usernames = ['taken'];
    const sent = postedBodies('/api/service-accounts/');
    const { user } = renderApp({ path: '/service-accounts' });

    await user.click((await screen.findAllByRole('button', { name: 'Create service account' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Create a service account' });
    const username = within(dialog).getByRole('textbox', { name: 'Username' });
    await user.type(username, 'taken');
    await user.click(within(dialog).getByRole('button', { name: 'Create service account' }));
    await waitFor(() => expect(username).toHaveAttribute('aria-invalid', 'true'));
    expect(username).toHaveAccessibleDescription(expect.stringContaining('already exists'));

    await user.clear(username);
    await user.type(username, 'backup-bot');
    await user.type(within(dialog).getByRole('textbox', { name: 'Name (optional)' }), 'Nightly backup');
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Role' }), 'auditor');
    await user.click(within(dialog).getByRole('button', { name: 'Create service account' }));

    expect(await screen.findByText(/The service account backup-bot was created/)).toBeInTheDocument();
    expect(sent.at(-1)).toEqual({ username: 'backup-bot', name: 'Nightly backup', role: 'auditor' });
    expect(within(await screen.findByRole('table', { name: 'Service accounts' })).getByRole('row', { name: /backup-bot/ })).toBeInTheDocument();
  });

  it('links each account to a token made for it', async () => {
    const sent = postedBodies('/api/tokens/');
    db.serviceAccounts = [makeServiceAccount(1, { username: 'backup-bot' })];
    const { user } = renderApp({ path: '/service-accounts' });

    await user.click(await screen.findByRole('link', { name: 'Create a token for backup-bot' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await waitFor(() => expect(within(dialog).getByRole('combobox', { name: 'Owner' })).toHaveValue('backup-bot'));
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'Backup');
    await user.click(within(dialog).getByRole('checkbox', { name: /reports:read/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    await screen.findByRole('dialog', { name: 'Copy your new API token' });
    expect(sent).toEqual([{ name: 'Backup', scopes: ['reports:read'], expires_in_days: 90, owner: 'backup-bot' }]);
  });

  it('deletes one after a confirmation that says its tokens die with it', async () => {
    db.serviceAccounts = [makeServiceAccount(1, { username: 'backup-bot', tokens_active: 2 }), makeServiceAccount(2, { username: 'keep-bot' })];
    db.tokens = [makeApiToken(1, { owner: 'backup-bot', owner_kind: 'service' }), makeApiToken(2, { owner: 'keep-bot', owner_kind: 'service' })];
    const { user } = renderApp({ path: '/service-accounts' });

    await user.click(await screen.findByRole('button', { name: 'Delete backup-bot' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the service account backup-bot?' });
    expect(dialog).toHaveTextContent('Its tokens die with it: its 2 active tokens stop working at once');
    await user.click(within(dialog).getByRole('button', { name: 'Delete service account' }));

    expect(await screen.findByText('The service account backup-bot and its tokens were deleted.')).toBeInTheDocument();
    expect(db.serviceAccounts.map((a) => a.username)).toEqual(['keep-bot']);
    expect(db.tokens.map((t) => t.owner)).toEqual(['keep-bot']);
  });
});
