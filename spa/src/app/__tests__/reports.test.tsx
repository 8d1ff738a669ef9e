import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeAuditEntry, makeNotice, makeReport } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('reports', () => {
  it('lists runs newest first with status badges, paginated', async () => {
    db.reports = Array.from({ length: 25 }, (_, i) => makeReport({ id: 25 - i, status: i === 1 ? 'aborted' : 'succeeded', dry_run: i === 0 }));
    const { user } = renderApp({ path: '/reports' });

    const table = await screen.findByRole('table', { name: 'Cleanup reports' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(21);
    expect(within(rows[1]!).getByRole('link', { name: 'Run #25' })).toBeInTheDocument();
    expect(within(rows[1]!).getByText('Dry run')).toBeInTheDocument();
    expect(within(rows[1]!).getByTitle('Would remove; nobody was removed')).toBeInTheDocument();
    // An aborted run removed nobody either: its figure is what it would have removed.
    expect(within(rows[2]!).getByText('Aborted')).toBeInTheDocument();
    expect(within(rows[2]!).getByTitle('Would remove; nobody was removed')).toHaveTextContent('12 would');
    expect(within(rows[3]!).queryByTitle('Would remove; nobody was removed')).not.toBeInTheDocument();
    expect(screen.getByText(/Page 1 of 2/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByRole('link', { name: 'Run #5' })).toBeInTheDocument();
    expect(screen.getByText(/Page 2 of 2/)).toBeInTheDocument();
  });

  it('opens a run with its audit list, reasons and pages', async () => {
    const { user } = renderApp({ path: '/reports' });
    await user.click(await screen.findByRole('link', { name: 'Run #2' }));

    expect(await screen.findByRole('heading', { name: /Run #2/, level: 1 })).toBeInTheDocument();
    const audit = await screen.findByRole('table', { name: 'Audit list of run #2' });
    expect(within(audit).getByText('user1')).toBeInTheDocument();
    expect(within(audit).getAllByText('Inactive').length).toBeGreaterThan(0);
    expect(within(audit).getAllByText('Never logged in').length).toBeGreaterThan(0);

    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('user21')).toBeInTheDocument();
  });

  it('shows what each stage did and, per user, the action and when they were warned', async () => {
    db.reports = [makeReport({ id: 5, users_warned: 4, users_deactivated: 12, users_deleted: 3, users_removed: 15 })];
    server.use(
      http.get('/api/reports/:id/users/', () =>
        HttpResponse.json({
          count: 3,
          next: null,
          previous: null,
          results: [
            makeAuditEntry(1, { action: 'deactivated', noticed_at: '2025-05-17T09:30:00Z' }),
            makeAuditEntry(2, { action: 'deactivated', noticed_at: null, email: '' }),
            makeAuditEntry(3, { action: 'deleted', reason: 'deactivation_expired', noticed_at: null }),
          ],
        }),
      ),
    );
    renderApp({ path: '/reports/5' });

    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByText('Warned').nextSibling).toHaveTextContent('4');
    expect(within(summary).getByText('Deactivated').nextSibling).toHaveTextContent('12');
    expect(within(summary).getByText('Deleted').nextSibling).toHaveTextContent('3');

    const audit = await screen.findByRole('table', { name: 'Audit list of run #5' });
    const rows = within(audit).getAllByRole('row');
    expect(within(rows[1]!).getByText('Deactivated')).toBeInTheDocument();
    expect(within(rows[1]!).getByText(/2025/)).toBeInTheDocument(); // warned on 17 May
    expect(within(rows[2]!).getByText('not warned (no email)')).toBeInTheDocument();
    expect(within(rows[3]!).getByText('Deleted')).toBeInTheDocument();
    expect(within(rows[3]!).getByText('Restore window over')).toBeInTheDocument();
  });

  it('says what a dry run would have done in each stage', async () => {
    db.reports = [makeReport({ id: 6, dry_run: true, users_warned: 8, users_deactivated: 2, users_deleted: 0, users_removed: 2 })];
    renderApp({ path: '/reports/6' });

    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByText('Would warn').nextSibling).toHaveTextContent('8');
    expect(within(summary).getByText('Would deactivate').nextSibling).toHaveTextContent('2');
    expect(within(summary).getByText(/A real run would have: 8 warned by email, 2 deactivated\./)).toBeInTheDocument();
  });

  it("labels a rejected run's figures as what it would have done, never as done", async () => {
    db.reports = [
      makeReport({
        id: 8,
        status: 'aborted',
        error: 'Rejected by bob. Nobody was removed.',
        users_warned: 10,
        users_deactivated: 183,
        users_removed: 183,
      }),
    ];
    db.audit = [];
    renderApp({ path: '/reports/8' });

    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByText('Would warn').nextSibling).toHaveTextContent('10');
    expect(within(summary).getByText('Would deactivate').nextSibling).toHaveTextContent('183');
    expect(within(summary).queryByText('Deactivated')).not.toBeInTheDocument();
    expect(within(summary).queryByText('Warned')).not.toBeInTheDocument();
    const aborted = within(summary).getByRole('alert');
    expect(aborted).toHaveTextContent('Aborted — nobody was removed');
    expect(aborted).toHaveTextContent('Rejected by bob. Nobody was removed. Had it gone ahead, it would have: 10 warned by email, 183 deactivated.');
    expect(await screen.findByText('Nobody was removed by this run')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Undo this run' })).not.toBeInTheDocument();
  });

  it('a run that matched 100 and warned 101 lists who it warned and never says nobody matched', async () => {
    db.reports = [
      makeReport({
        id: 7,
        users_matched: 100,
        users_warned: 101,
        users_deactivated: 0,
        users_removed: 0,
        policy: { action: 'deactivate', notice_days: 14, max_removal_ratio: 0.5 },
      }),
    ];
    db.audit = [];
    db.notices = Array.from({ length: 101 }, (_, i) =>
      makeNotice(i + 1, i === 1 ? { status: 'pending', sent_at: null, attempts: 2 } : i === 2 ? { username: null } : {}),
    );
    const { user } = renderApp({ path: '/reports/7' });

    const audit = await screen.findByRole('region', { name: 'Audit list: users removed' });
    expect(
      await within(audit).findByText(
        '100 users matched the policy, but none was removed: a user with an email address is removed only once their warning is 14 days old.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/No user matched/)).not.toBeInTheDocument();

    const warned = screen.getByRole('region', { name: 'Users warned by email' });
    const table = await within(warned).findByRole('table', { name: 'Users run #7 warned' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(21);
    expect(within(rows[1]!).getByText('warned1')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('Sent')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('Pending')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('2 failed attempts, retrying')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('not yet')).toBeInTheDocument();
    expect(within(rows[3]!).getByText('account deleted')).toBeInTheDocument();
    expect(within(rows[3]!).getByText('warned3@acme.test')).toBeInTheDocument();
    expect(within(warned).getByText(/Page 1 of 6 · 101 users/)).toBeInTheDocument();

    await user.click(within(warned).getByRole('button', { name: 'Next →' }));
    expect(await within(warned).findByText('warned21')).toBeInTheDocument();
  });

  it.each([
    [makeReport({ id: 8, users_matched: 0, users_warned: 0, users_deactivated: 0, users_removed: 0 }), 'No user matched the policy.'],
    [
      makeReport({ id: 8, users_matched: 3, users_warned: 0, users_deactivated: 0, users_removed: 0, policy: { notice_days: 0 } }),
      '3 users matched the policy, but none was removed: each was active again, or had changed, by the time the run reached them.',
    ],
  ])('a finished run that removed nobody says why', async (report, text) => {
    db.reports = [report];
    db.audit = [];
    renderApp({ path: '/reports/8' });
    const audit = await screen.findByRole('region', { name: 'Audit list: users removed' });
    expect(await within(audit).findByText(text)).toBeInTheDocument();
  });

  it.each([
    [makeReport({ id: 9, dry_run: true, users_warned: 8 }), 'A dry run sends no email. A real run would have warned 8.'],
    [makeReport({ id: 9, status: 'aborted', users_warned: 8 }), 'The run stopped before warning anyone.'],
    [
      makeReport({ id: 9, status: 'awaiting_approval', finished_at: null, users_warned: 8 }),
      'The run stopped at the safety cap before warning anyone; it warns them if a tenant admin approves it.',
    ],
    [
      makeReport({ id: 9, users_warned: 0, policy: { notice_days: 0 } }),
      'Its policy warns nobody first (0 notice days): accounts are removed without an email.',
    ],
    [makeReport({ id: 9, users_warned: 0, policy: { notice_days: 14 } }), 'Nobody was due a warning: users are warned once, before their account is removed.'],
  ])('a run that warned nobody says why', async (report, text) => {
    db.reports = [report];
    renderApp({ path: '/reports/9' });
    const warned = await screen.findByRole('region', { name: 'Users warned by email' });
    expect(await within(warned).findByText(text)).toBeInTheDocument();
  });

  it("shows the run's safety cap as a percentage in the policy it used", async () => {
    db.reports = [makeReport({ id: 4, policy: { max_removal_ratio: 0.05, on_cap: 'ask' } })];
    renderApp({ path: '/reports/4' });
    const term = await screen.findByText('max removal ratio');
    expect(term.nextSibling).toHaveTextContent('5%');
  });

  it('downloads the audit CSV with the auth header', async () => {
    let auth: string | null = null;
    server.use(
      http.get('/api/reports/:id/users/', ({ request }) => {
        const url = new URL(request.url);
        if (url.searchParams.get('format') !== 'csv') return HttpResponse.json({ count: 0, next: null, previous: null, results: [] });
        auth = request.headers.get('Authorization');
        return new HttpResponse('user_id,username\n1,user1\n', {
          headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="acme-run-3.csv"' },
        });
      }),
    );
    const createObjectURL = vi.fn(() => 'blob:csv');
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);

    const { user } = renderApp({ path: '/reports/3' });
    await user.click(await screen.findByRole('button', { name: 'Download CSV' }));

    await vi.waitFor(() => expect(click).toHaveBeenCalled());
    expect(auth).toBe('Bearer access-1');
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect((click.mock.contexts[0] as unknown as HTMLAnchorElement).download).toBe('acme-run-3.csv');
  });

  it('says when a run does not exist', async () => {
    renderApp({ path: '/reports/999' });
    expect(await screen.findByText('This run does not exist')).toBeInTheDocument();
  });

  it('shows a readable message when the server fails', async () => {
    server.use(http.get('/api/reports/', () => HttpResponse.json({}, { status: 500 })));
    renderApp({ path: '/reports' });
    expect(await screen.findByRole('alert')).toHaveTextContent('The server ran into a problem. Try again in a moment.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
