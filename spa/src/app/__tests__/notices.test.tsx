import { screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { makeNotice, makePolicy, makePreview, makeReport } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('the warning email in the policy editor', () => {
  it('edits the notice fields, lists the placeholders and previews the draft', async () => {
    let tried: Record<string, unknown> = {};
    server.use(
      http.post('/api/cleanup/preview/', async ({ request }) => {
        tried = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(makePreview({ notice: { subject: `Acme · ${String(tried.notice_subject)}`, text: 'Hello Alice' } }));
      }),
    );
    const { user } = renderApp({ path: '/policy' });
    await screen.findByRole('heading', { name: 'Cleanup policy' });

    expect(screen.getByRole('combobox', { name: 'Language' })).toHaveValue('en');
    expect(screen.getByRole('radio', { name: /Keep them until the address is fixed/ })).toBeChecked();
    for (const name of ['{first_name}', '{tenant}', '{removal_date}', '{keep_url}', '{sign_in_url}']) {
      expect(screen.getByText(name)).toBeInTheDocument();
    }
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Bye');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Language' }), 'de');
    await user.click(screen.getByRole('radio', { name: /Remove them anyway/ }));

    expect(await screen.findByText('Acme · Bye', {}, { timeout: 3000 })).toBeInTheDocument();
    await waitFor(() => expect(tried).toMatchObject({ notice_subject: 'Bye', notice_language: 'de', on_undeliverable: 'proceed' }), { timeout: 3000 });
    expect(screen.getByTestId('notice-text')).toHaveTextContent('Hello Alice');
  });

  it('shows the server’s refusal of an unknown placeholder on the field', async () => {
    server.use(
      http.post('/api/cleanup/preview/', async ({ request }) => {
        const body = (await request.json()) as Record<string, string>;
        if (body.notice_body?.includes('{0')) return HttpResponse.json({ notice_body: ['Unknown placeholder: {0.__class__}.'] }, { status: 400 });
        return HttpResponse.json(makePreview());
      }),
    );
    const { user } = renderApp({ path: '/policy' });
    const text = await screen.findByRole('textbox', { name: 'Text' });

    await user.click(text);
    await user.paste('Hi {0.__class__}');

    expect(await screen.findByText('Unknown placeholder: {0.__class__}.', {}, { timeout: 3000 })).toBeInTheDocument();
    expect(text).toHaveAttribute('aria-invalid', 'true');
  });

  it('sends a test of the draft, showing loading, success and errors', async () => {
    let sent: Record<string, unknown> = {};
    let answer = 202;
    server.use(
      http.post('/api/cleanup/policy/test-notice/', async ({ request }) => {
        sent = (await request.json()) as Record<string, unknown>;
        await delay(50);
        return answer === 202 ? HttpResponse.json({ to: 'alice@acme.test' }, { status: 202 }) : HttpResponse.json({ detail: 'slow down' }, { status: answer });
      }),
    );
    const { user } = renderApp({ path: '/policy' });
    await user.type(await screen.findByRole('textbox', { name: 'Subject' }), 'Draft');

    const button = screen.getByRole('button', { name: 'Send me a test' });
    await user.click(button);
    expect(button).toHaveAttribute('aria-busy', 'true');
    expect(await screen.findByText(/on its way to alice@acme.test/)).toBeInTheDocument();
    expect(sent.notice_subject).toBe('Draft');

    answer = 429;
    await user.click(button);
    expect(await screen.findByText(/Too many test emails/)).toBeInTheDocument();
  });

  it('hides the email section when no warning is sent', async () => {
    db.policy = makePolicy({ notice_days: 0 });
    renderApp({ path: '/policy' });
    await screen.findByRole('heading', { name: 'Cleanup policy' });
    expect(screen.queryByRole('textbox', { name: 'Subject' })).not.toBeInTheDocument();
  });
});

describe('undeliverable notices on a report', () => {
  it('lists the held users with the mail server’s reason, and marks undeliverable notices', async () => {
    db.reports = [
      makeReport({
        id: 7,
        users_undeliverable: 2,
        undeliverable: [
          { user_id: 4, username: 'gone', email: 'gone@acme.test', reason: 'SMTPRecipientsRefused: 550 5.1.1 User unknown' },
          { user_id: 9, username: 'moved', email: 'moved@acme.test', reason: '' },
        ],
        policy: { on_undeliverable: 'hold' },
      }),
    ];
    server.use(
      http.get('/api/reports/:id/notices/', () =>
        HttpResponse.json({
          count: 1,
          results: [makeNotice(1, { status: 'undeliverable', sent_at: null, error: 'SMTPRecipientsRefused: 550 no such user' })],
        }),
      ),
    );
    renderApp({ path: '/reports/7' });

    const card = (await screen.findByRole('heading', { name: 'Could not be warned' })).closest('section') ?? document.body;
    expect(within(card as HTMLElement).getByText(/Held: not removed until their address is fixed/)).toBeInTheDocument();
    const rows = within(screen.getByRole('table', { name: /could not be delivered/ })).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText('gone')).toBeInTheDocument();
    expect(within(rows[1]!).getByText(/550 5.1.1 User unknown/)).toBeInTheDocument();
    expect(await screen.findByText('Undeliverable')).toBeInTheDocument();
    expect(screen.getByText('SMTPRecipientsRefused: 550 no such user')).toBeInTheDocument();
  });

  it('shows nothing about it when every notice could be delivered', async () => {
    db.reports = [makeReport({ id: 8 })];
    renderApp({ path: '/reports/8' });
    await screen.findByRole('heading', { name: /Run #8/ });
    expect(screen.queryByRole('heading', { name: 'Could not be warned' })).not.toBeInTheDocument();
  });
});
