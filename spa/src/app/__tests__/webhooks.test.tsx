import { screen, waitFor, within } from '@testing-library/react';
import { makeDelivery, makeEndpoint, tenantAuditor, tenantMember } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

/** Every request the page sends but a read, with its body. */
function recordWrites(): { call: string; body: unknown }[] {
  const writes: { call: string; body: unknown }[] = [];
  server.events.on('request:start', ({ request }) => {
    if (request.method === 'GET') return;
    const call = `${request.method} ${new URL(request.url).pathname}`;
    void request
      .clone()
      .text()
      .then((text) => writes.push({ call, body: text ? (JSON.parse(text) as unknown) : null }));
  });
  return writes;
}

describe('webhooks', () => {
  afterEach(() => server.events.removeAllListeners());

  it('is reached from the navigation and lists endpoints: events, and a disabled one with its reason', async () => {
    db.webhooks = [
      makeEndpoint(1, { url: 'https://billing.example.com/hook', events: ['*'], description: 'Billing' }),
      makeEndpoint(2, {
        url: 'https://chat.example.com/hook',
        events: ['run.finished', 'users.deleted'],
        enabled: false,
        disabled_reason: 'Disabled after failing for 24 hours (last: HTTP 500).',
      }),
    ];
    const { user } = renderApp({ path: '/' });

    await user.click(await screen.findByRole('link', { name: 'Webhooks' }));

    const table = await screen.findByRole('table', { name: 'Webhook endpoints' });
    const billing = within(table).getByRole('row', { name: /billing\.example\.com/ });
    expect(within(billing).getByText('All events')).toBeInTheDocument();
    expect(within(billing).getByText('Enabled')).toBeInTheDocument();
    const chat = within(table).getByRole('row', { name: /chat\.example\.com/ });
    expect(within(chat).getByText('Run finished, Users deleted')).toBeInTheDocument();
    expect(within(chat).getByText('Disabled')).toBeInTheDocument();
    expect(within(chat).getByText('Disabled after failing for 24 hours (last: HTTP 500).')).toBeInTheDocument();
    expect(within(chat).getByRole('link', { name: 'https://chat.example.com/hook' })).toHaveAttribute('href', '/webhooks/2');
  });

  it('says so when there is no endpoint', async () => {
    renderApp({ path: '/webhooks' });
    expect(await screen.findByText('No webhook endpoints')).toBeInTheDocument();
  });

  it('adds an endpoint for chosen events and shows its secret once, with a Copy button', async () => {
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks' });

    await user.click((await screen.findAllByRole('button', { name: 'Add endpoint' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Add a webhook endpoint' });
    await user.type(within(dialog).getByRole('textbox', { name: 'URL' }), 'https://hooks.example.com/cleanup');
    const all = within(dialog).getByRole('checkbox', { name: 'All events' });
    expect(all).toBeChecked();
    expect(within(dialog).getByRole('checkbox', { name: /Users deleted/ })).toBeDisabled();
    await user.click(all);
    await user.click(within(dialog).getByRole('checkbox', { name: /Users deactivated/ }));
    await user.click(within(dialog).getByRole('checkbox', { name: /Users deleted/ }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Description (optional)' }), 'Billing');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    const secretDialog = await screen.findByRole('dialog', { name: 'The endpoint’s signing secret' });
    expect(within(secretDialog).getByText('Copy it now: you will not see it again')).toBeInTheDocument();
    const secret = within(secretDialog).getByRole('textbox', { name: 'Signing secret' });
    expect(secret).toHaveValue('whsec_c2VjcmV0LW51bWJlci01');
    await user.click(within(secretDialog).getByRole('button', { name: 'Copy' }));
    expect(await within(secretDialog).findByText('Copied to the clipboard.')).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe('whsec_c2VjcmV0LW51bWJlci01');
    expect(writes).toEqual([
      {
        call: 'POST /api/webhooks/',
        body: { url: 'https://hooks.example.com/cleanup', events: ['users.deactivated', 'users.deleted'], description: 'Billing' },
      },
    ]);

    await user.click(within(secretDialog).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    const row = within(await screen.findByRole('table', { name: 'Webhook endpoints' })).getByRole('row', { name: /hooks\.example\.com/ });
    expect(within(row).getByText('Users deactivated, Users deleted')).toBeInTheDocument();
    // Nowhere on the page any more, and nothing the page can read brings it back.
    expect(document.body).not.toHaveTextContent('whsec_');
    expect(screen.queryByDisplayValue(/whsec_/)).not.toBeInTheDocument();
  });

  it('shows the refused address on the URL field and an empty event choice on the events, from one 400', async () => {
    const { user } = renderApp({ path: '/webhooks' });

    await user.click((await screen.findAllByRole('button', { name: 'Add endpoint' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Add a webhook endpoint' });
    const url = within(dialog).getByRole('textbox', { name: 'URL' });
    await user.type(url, 'https://169.254.169.254/latest');
    await user.click(within(dialog).getByRole('checkbox', { name: 'All events' }));
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    await waitFor(() => expect(url).toHaveAttribute('aria-invalid', 'true'));
    expect(url).toHaveAccessibleDescription(/169\.254\.169\.254 is a private or loopback address: a webhook may only go to a public address\./);
    expect(within(dialog).getByRole('group', { name: 'Events' })).toHaveAccessibleDescription(/Pick at least one event type/);
    expect(within(dialog).getByText(/The endpoint was not added/)).toBeInTheDocument();
    expect(db.webhooks).toHaveLength(0);
    expect(screen.queryByRole('dialog', { name: 'The endpoint’s signing secret' })).not.toBeInTheDocument();
  });

  it('disables an endpoint and enables it again', async () => {
    db.webhooks = [makeEndpoint(1, { url: 'https://billing.example.com/hook' })];
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks' });

    await user.click(await screen.findByRole('button', { name: 'Disable https://billing.example.com/hook' }));
    expect(await screen.findByText('https://billing.example.com/hook is disabled: nothing is sent to it.')).toBeInTheDocument();
    const row = within(screen.getByRole('table', { name: 'Webhook endpoints' })).getByRole('row', { name: /billing/ });
    expect(await within(row).findByText('Disabled')).toBeInTheDocument();
    expect(within(row).getByText('Disabled by admin.')).toBeInTheDocument();

    await user.click(within(row).getByRole('button', { name: 'Enable https://billing.example.com/hook' }));
    expect(await within(row).findByText('Enabled')).toBeInTheDocument();
    expect(screen.getByText(/is enabled again/)).toBeInTheDocument();
    expect(writes.map((w) => w.body)).toEqual([{ enabled: false }, { enabled: true }]);
  });

  it('changes only the events of an endpoint', async () => {
    db.webhooks = [makeEndpoint(1, { url: 'https://billing.example.com/hook', events: ['users.deleted'] })];
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks' });

    await user.click(await screen.findByRole('button', { name: 'Change https://billing.example.com/hook' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change this endpoint' });
    expect(within(dialog).getByRole('checkbox', { name: /Users deleted/ })).toBeChecked();
    await user.click(within(dialog).getByRole('checkbox', { name: /Run finished/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByText('https://billing.example.com/hook was changed.')).toBeInTheDocument();
    expect(writes).toEqual([{ call: 'PATCH /api/webhooks/1/', body: { events: ['run.finished', 'users.deleted'] } }]);
  });

  it('deletes an endpoint only after a confirmation', async () => {
    db.webhooks = [makeEndpoint(1, { url: 'https://billing.example.com/hook' }), makeEndpoint(2)];
    const { user } = renderApp({ path: '/webhooks' });

    await user.click(await screen.findByRole('button', { name: 'Delete https://billing.example.com/hook' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete this endpoint?' });
    expect(confirm).toHaveTextContent('its delivery log is deleted with it');
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(db.webhooks).toHaveLength(2);

    await user.click(screen.getByRole('button', { name: 'Delete https://billing.example.com/hook' }));
    await user.click(within(await screen.findByRole('dialog', { name: 'Delete this endpoint?' })).getByRole('button', { name: 'Delete endpoint' }));
    expect(await screen.findByText('https://billing.example.com/hook was deleted.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('row', { name: /billing/ })).not.toBeInTheDocument());
    expect(db.webhooks.map((e) => e.id)).toEqual([2]);
  });
});

describe('an endpoint’s page', () => {
  beforeEach(() => {
    db.webhooks = [makeEndpoint(1, { url: 'https://billing.example.com/hook' })];
    db.deliveries = {
      1: [
        makeDelivery(2, {
          type: 'users.deleted',
          status: 'failed',
          attempts: 2,
          last_status_code: 500,
          delivered_at: null,
          attempt_log: [
            { at: '2025-06-01T10:00:00Z', status_code: 500, duration_ms: 120, error: '', response_excerpt: 'upstream exploded' },
            { at: '2025-06-01T10:00:05Z', status_code: null, duration_ms: 10000, error: 'No answer within 10 s.', response_excerpt: '' },
          ],
        }),
        makeDelivery(1, { type: 'run.finished' }),
      ],
    };
  });
  afterEach(() => server.events.removeAllListeners());

  it('lists deliveries newest first, each expandable to its attempts and their answers', async () => {
    const { user } = renderApp({ path: '/webhooks/1' });

    const table = await screen.findByRole('table', { name: 'Deliveries, newest first' });
    const rows = within(table).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/#2.*Users deleted.*Failed.*2.*500/);
    expect(rows[2]).toHaveTextContent(/#1.*Run finished.*Delivered.*1.*200/);

    const expand = within(rows[1]!).getByRole('button', { name: '#2' });
    expect(expand).toHaveAttribute('aria-expanded', 'false');
    await user.click(expand);
    expect(expand).toHaveAttribute('aria-expanded', 'true');
    const attempts = screen.getByRole('list', { name: 'Attempts of delivery #2' });
    expect(within(attempts).getByText('upstream exploded')).toBeInTheDocument();
    expect(within(attempts).getByText(/HTTP 500 · 120 ms/)).toBeInTheDocument();
    expect(within(attempts).getByText('No answer within 10 s.')).toBeInTheDocument();
  });

  it('sends a test event: queued, then the log polls until it is delivered', async () => {
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks/1' });

    await user.click(await screen.findByRole('button', { name: 'Send a test event' }));
    expect(await screen.findByText('A test event is queued (delivery #3). Its outcome shows in the deliveries below.')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Deliveries, newest first' });
    const row = await within(table).findByRole('row', { name: /#3/ });
    expect(row).toHaveTextContent(/Test event.*Pending/);
    expect(writes.map((w) => w.call)).toEqual(['POST /api/webhooks/1/test/']);

    // The worker delivers it; the page sees it without being asked.
    db.deliveries[1] = db.deliveries[1]!.map((d) => (d.id === 3 ? makeDelivery(3, { type: 'test', event_id: d.event_id }) : d));
    await waitFor(() => expect(within(table).getByRole('row', { name: /#3/ })).toHaveTextContent(/Delivered.*200/), { timeout: 6000 });
  });

  it('replays a delivery as a new one with the same event id', async () => {
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks/1' });

    await user.click(await screen.findByRole('button', { name: 'Replay delivery #2' }));
    expect(await screen.findByText('Delivery #2 is queued again as delivery #3, with the same event id.')).toBeInTheDocument();
    const row = await within(screen.getByRole('table', { name: 'Deliveries, newest first' })).findByRole('row', { name: /#3/ });
    expect(row).toHaveTextContent(/Users deleted.*msg_00000002.*Pending/);
    expect(writes.map((w) => w.call)).toEqual(['POST /api/webhooks/1/deliveries/2/replay/']);
  });

  it('rotates the secret: the new one shown once, and until when the previous one still signs', async () => {
    const { user } = renderApp({ path: '/webhooks/1' });

    await user.click(await screen.findByRole('button', { name: 'Rotate secret' }));
    const dialog = await screen.findByRole('dialog', { name: 'The endpoint’s new signing secret' });
    expect(within(dialog).getByRole('textbox', { name: 'Signing secret' })).toHaveValue('whsec_c2VjcmV0LW51bWJlci01');
    expect(within(dialog).getByText('Copy it now: you will not see it again')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Done' }));

    expect(document.body).not.toHaveTextContent('whsec_');
    expect(await screen.findByText(/Still signs beside the new one until/)).toBeInTheDocument();
  });

  it('offers no test or replay while the endpoint is disabled, and enables it again', async () => {
    db.webhooks = [makeEndpoint(1, { enabled: false, disabled_reason: 'Disabled after failing for 24 hours.' })];
    const { user } = renderApp({ path: '/webhooks/1' });

    expect(await screen.findByRole('button', { name: 'Send a test event' })).toBeDisabled();
    expect(await screen.findByRole('button', { name: 'Replay delivery #2' })).toBeDisabled();
    expect(screen.getByText('Disabled after failing for 24 hours.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /^Enable / }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Send a test event' })).toBeEnabled());
    expect(screen.getByRole('button', { name: 'Replay delivery #2' })).toBeEnabled();
  });

  it('says when the endpoint does not exist', async () => {
    renderApp({ path: '/webhooks/99' });
    expect(await screen.findByText('This webhook endpoint does not exist')).toBeInTheDocument();
  });
});

describe('who sees webhooks', () => {
  afterEach(() => server.events.removeAllListeners());

  it('an auditor reads endpoints and deliveries and is offered nothing to change', async () => {
    db.me = tenantAuditor;
    db.webhooks = [makeEndpoint(1, { url: 'https://billing.example.com/hook' })];
    db.deliveries = { 1: [makeDelivery(1)] };
    const writes = recordWrites();
    const { user } = renderApp({ path: '/webhooks' });

    const row = within(await screen.findByRole('table', { name: 'Webhook endpoints' })).getByRole('row', { name: /billing/ });
    expect(screen.queryByRole('button', { name: 'Add endpoint' })).not.toBeInTheDocument();
    expect(within(row).queryByRole('button')).not.toBeInTheDocument();

    await user.click(within(row).getByRole('link', { name: 'https://billing.example.com/hook' }));
    await screen.findByRole('table', { name: 'Deliveries, newest first' });
    for (const name of ['Send a test event', 'Rotate secret', 'Replay delivery #1', /^Disable/, 'Change', 'Delete']) {
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
    }
    expect(writes).toEqual([]);
  });

  it('a member gets no console, so no webhooks', async () => {
    db.me = tenantMember;
    renderApp({ path: '/webhooks' });
    expect(await screen.findByRole('heading', { name: 'You need the tenant-admin or auditor role' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Webhooks' })).not.toBeInTheDocument();
  });
});
