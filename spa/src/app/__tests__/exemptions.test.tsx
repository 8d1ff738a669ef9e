import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeExemption } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('exemptions', () => {
  afterEach(() => server.events.removeAllListeners());

  it('is reached from the navigation and lists exemptions, expired ones greyed', async () => {
    db.exemptions = [
      makeExemption(2, { username: 'ceo', reason: 'Board member', expires_at: null }),
      makeExemption(1, { username: 'sleepy', reason: 'Parental leave', expires_at: '2025-05-01T00:00:00Z', expired: true }),
    ];
    const { user } = renderApp({ path: '/' });

    await user.click(await screen.findByRole('link', { name: 'Exemptions' }));

    const table = await screen.findByRole('table', { name: 'Exempt users' });
    const ceo = within(table).getByRole('row', { name: /ceo/ });
    expect(within(ceo).getByText('Board member')).toBeInTheDocument();
    expect(within(ceo).getByText('No end')).toBeInTheDocument();
    expect(ceo).not.toHaveClass('row-expired');
    const sleepy = within(table).getByRole('row', { name: /sleepy/ });
    expect(sleepy).toHaveClass('row-expired');
    expect(within(sleepy).getByText('Expired')).toBeInTheDocument();
    expect(screen.getByText('2 exemptions')).toBeInTheDocument();
  });

  it('says so when nobody is exempt', async () => {
    renderApp({ path: '/exemptions' });
    expect(await screen.findByText('Nobody is exempt')).toBeInTheDocument();
  });

  it('shows a failed load with a retry', async () => {
    let calls = 0;
    server.use(
      http.get('/api/exemptions/', () => {
        calls += 1;
        return calls === 1 ? HttpResponse.json({ detail: 'boom' }, { status: 500 }) : HttpResponse.json({ count: 0, next: null, previous: null, results: [] });
      }),
    );
    const { user } = renderApp({ path: '/exemptions' });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load exemptions');
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Nobody is exempt')).toBeInTheDocument();
  });

  it('pages through many exemptions', async () => {
    db.exemptions = Array.from({ length: 25 }, (_, i) => makeExemption(i + 1));
    const { user } = renderApp({ path: '/exemptions' });

    await screen.findByText('Page 1 of 2 · 25 exemptions');
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('Page 2 of 2 · 25 exemptions')).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'Exempt users' })).getAllByRole('row')).toHaveLength(6);
  });

  it('adds an exemption with a reason and an expiry date, showing the API errors by field first', async () => {
    const sent: unknown[] = [];
    server.events.on('request:start', ({ request }) => {
      if (request.method === 'POST' && new URL(request.url).pathname === '/api/exemptions/')
        void request
          .clone()
          .json()
          .then((b) => sent.push(b));
    });
    const { user } = renderApp({ path: '/exemptions' });

    await user.click((await screen.findAllByRole('button', { name: 'Add exemption' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Exempt a user' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Username' }), 'nobody');
    await user.type(within(dialog).getByRole('textbox', { name: 'Reason' }), '   ');
    await user.click(within(dialog).getByRole('button', { name: 'Add exemption' }));

    const username = within(dialog).getByRole('textbox', { name: 'Username' });
    await waitFor(() => expect(username).toHaveAttribute('aria-invalid', 'true'));
    expect(username).toHaveAccessibleDescription(/No user with this username in this tenant/);
    expect(within(dialog).getByRole('textbox', { name: 'Reason' })).toHaveAccessibleDescription(/Say why this user must not be removed/);
    expect(within(dialog).getByText(/The exemption was not added/)).toBeInTheDocument();
    expect(db.exemptions).toHaveLength(0);

    await user.clear(username);
    await user.type(username, 'ceo');
    const reason = within(dialog).getByRole('textbox', { name: 'Reason' });
    await user.clear(reason);
    await user.type(reason, 'On sabbatical');
    await user.type(within(dialog).getByLabelText('Exempt until (optional)'), '2999-03-01');
    await user.click(within(dialog).getByRole('button', { name: 'Add exemption' }));

    expect(await screen.findByText(/ceo is exempt from cleanup until/)).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(within(await screen.findByRole('table', { name: 'Exempt users' })).getByRole('row', { name: /ceo/ })).toBeInTheDocument();
    expect(sent.at(-1)).toEqual({ username: 'ceo', reason: 'On sabbatical', expires_at: new Date('2999-03-01T00:00:00').toISOString() });
  });

  it("shows every field's problem from one 400 beside its field", async () => {
    server.use(
      http.post('/api/exemptions/', () =>
        HttpResponse.json(
          {
            username: ['This field may not be blank.'],
            reason: ['Say why this user must not be removed.'],
            expires_at: ['Must be in the future (leave it out for no expiry).'],
          },
          { status: 400 },
        ),
      ),
    );
    const { user } = renderApp({ path: '/exemptions' });

    await user.click((await screen.findAllByRole('button', { name: 'Add exemption' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Exempt a user' });
    await user.type(within(dialog).getByLabelText('Exempt until (optional)'), '2001-01-01');
    await user.click(within(dialog).getByRole('button', { name: 'Add exemption' }));

    const username = within(dialog).getByRole('textbox', { name: 'Username' });
    await waitFor(() => expect(username).toHaveAttribute('aria-invalid', 'true'));
    expect(username).toHaveAccessibleDescription(/This field may not be blank/);
    expect(within(dialog).getByRole('textbox', { name: 'Reason' })).toHaveAccessibleDescription(/Say why this user must not be removed/);
    expect(within(dialog).getByLabelText('Exempt until (optional)')).toHaveAccessibleDescription(/Must be in the future/);
  });

  it('sends no expiry when none is given', async () => {
    let body: unknown = null;
    server.use(
      http.post('/api/exemptions/', async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(makeExemption(9, { username: 'ceo', expires_at: null }), { status: 201 });
      }),
    );
    const { user } = renderApp({ path: '/exemptions' });
    await user.click((await screen.findAllByRole('button', { name: 'Add exemption' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Exempt a user' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Username' }), '  ceo ');
    await user.type(within(dialog).getByRole('textbox', { name: 'Reason' }), 'Board member');
    await user.click(within(dialog).getByRole('button', { name: 'Add exemption' }));

    expect(await screen.findByText('ceo is exempt from cleanup.')).toBeInTheDocument();
    expect(body).toEqual({ username: 'ceo', reason: 'Board member', expires_at: null });
  });

  it('removes an exemption only after a confirmation that says what follows', async () => {
    db.exemptions = [makeExemption(1, { username: 'ceo' }), makeExemption(2, { username: 'cfo' })];
    const { user } = renderApp({ path: '/exemptions' });

    await user.click(await screen.findByRole('button', { name: 'Remove the exemption of ceo' }));
    const dialog = await screen.findByRole('dialog', { name: 'Remove this exemption?' });
    expect(dialog).toHaveTextContent('ceo will be treated like everyone else again');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(db.exemptions).toHaveLength(2);

    await user.click(screen.getByRole('button', { name: 'Remove the exemption of ceo' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Remove exemption' }));

    expect(await screen.findByText('The exemption of ceo was removed.')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('row', { name: /ceo/ })).not.toBeInTheDocument());
    expect(db.exemptions.map((e) => e.username)).toEqual(['cfo']);
  });

  it('tells the admin when the exemption was removed meanwhile', async () => {
    db.exemptions = [makeExemption(1, { username: 'ceo' })];
    server.use(http.delete('/api/exemptions/:id/', () => HttpResponse.json({ detail: 'No such exemption.' }, { status: 404 })));
    const { user } = renderApp({ path: '/exemptions' });

    await user.click(await screen.findByRole('button', { name: 'Remove the exemption of ceo' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Remove exemption' }));

    expect(await within(dialog).findByText('This exemption was already removed.')).toBeInTheDocument();
  });
});
