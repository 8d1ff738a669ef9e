import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makeAuditEntry, makeAwaitingReport, makeReport, makeUndoPreview } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

function banner() {
  return screen.findByRole('region', { name: /is waiting for your approval/ });
}

describe('a run awaiting approval', () => {
  it('shows the numbers on its page, and Approve says what will happen before it runs', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    const { user } = renderApp({ path: '/reports/7' });

    const region = await banner();
    expect(region).toHaveTextContent('Run #7 is waiting for your approval');
    expect(region).toHaveTextContent("It would deactivate 180 users of 300 eligible (60%), more than the policy's cap of 50%. Nobody has been removed yet.");
    // No progress bar: the run is not going anywhere until someone answers.
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();

    await user.click(within(region).getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog', { name: 'Approve run #7?' });
    expect(dialog).toHaveTextContent('The run is queued again and will deactivate at most 180 users: the number it showed.');
    expect(db.reports[0]?.status).toBe('awaiting_approval');
    await user.click(within(dialog).getByRole('button', { name: 'Approve and run' }));

    await waitFor(() => expect(screen.queryByRole('region', { name: /is waiting for your approval/ })).not.toBeInTheDocument());
    expect(db.reports[0]).toMatchObject({ status: 'queued', approved_by: 'admin', removal_limit: 180 });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByText(/Approved by admin on .*, to remove at most 180 users\./)).toBeInTheDocument();
    // Said once, with the limit the approval set.
    expect(screen.getAllByText(/Approved by admin/)).toHaveLength(1);
    expect(screen.getByRole('heading', { level: 1, name: /Run #7/ })).toHaveTextContent('Queued');
  });

  it('Reject says nobody is removed, then the run is aborted naming who rejected it', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    const { user } = renderApp({ path: '/reports/7' });

    await user.click(within(await banner()).getByRole('button', { name: 'Reject' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reject run #7?' });
    expect(dialog).toHaveTextContent('The run ends as aborted and removes nobody.');
    await user.click(within(dialog).getByRole('button', { name: 'Reject run' }));

    expect(await screen.findByText('Rejected by admin. Nobody was removed.')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /is waiting for your approval/ })).not.toBeInTheDocument();
    // What it would have done stays on the page, said as such.
    const summary = screen.getByRole('region', { name: 'Summary' });
    expect(within(summary).getByText('Would deactivate').nextSibling).toHaveTextContent('180');
    expect(within(summary).queryByText('Deactivated')).not.toBeInTheDocument();
  });

  it('cancelling a confirmation sends nothing', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    const { user } = renderApp({ path: '/reports/7' });

    await user.click(within(await banner()).getByRole('button', { name: 'Approve' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cancel' }));

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await banner()).toBeInTheDocument();
    expect(db.reports[0]?.status).toBe('awaiting_approval');
  });

  it('409: says someone answered first and shows the run as it now is', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    server.use(
      http.post('/api/reports/7/approve/', () => {
        db.reports = [makeReport({ id: 7, status: 'aborted', error: 'Rejected by bob. Nobody was removed.' })];
        return HttpResponse.json({ detail: 'Run #7 is not awaiting approval (it is aborted).', status: 'aborted' }, { status: 409 });
      }),
    );
    const { user } = renderApp({ path: '/reports/7' });

    await user.click(within(await banner()).getByRole('button', { name: 'Approve' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Approve and run' }));

    expect(await screen.findByText('This run was answered already: it is now aborted.')).toBeInTheDocument();
    expect(await screen.findByText('Rejected by bob. Nobody was removed.')).toBeInTheDocument();
  });

  it('503: says the task queue is down and the run still waits', async () => {
    db.reports = [makeAwaitingReport({ id: 7 })];
    server.use(http.post('/api/reports/7/approve/', () => HttpResponse.json({ detail: 'The task queue is unavailable; try again shortly.' }, { status: 503 })));
    const { user } = renderApp({ path: '/reports/7' });

    await user.click(within(await banner()).getByRole('button', { name: 'Approve' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Approve and run' }));

    const region = await banner();
    expect(await within(region).findByText('The task queue is unavailable, try again shortly. The run is still waiting for approval.')).toBeInTheDocument();
    expect(within(region).getByRole('button', { name: 'Approve' })).toBeEnabled();
  });

  it('shows on the overview too, and approving it there follows the run', async () => {
    db.reports = [makeAwaitingReport({ id: 8 }), makeReport({ id: 3 })];
    const { user } = renderApp();

    const region = await banner();
    expect(region).toHaveTextContent('Run #8 is waiting for your approval');
    await user.click(within(region).getByRole('button', { name: 'Approve' }));
    await user.click(within(await screen.findByRole('dialog', { name: 'Approve run #8?' })).getByRole('button', { name: 'Approve and run' }));

    expect(await screen.findByRole('progressbar', { name: 'Cleanup run #8 progress' })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /is waiting for your approval/ })).not.toBeInTheDocument();
  });

  it('offers Approve and Reject only when the report says this user may answer (can_approve)', async () => {
    db.reports = [makeAwaitingReport({ id: 7, can_approve: false })];
    renderApp({ path: '/reports/7' });

    const region = await screen.findByRole('region', { name: 'Run #7 is waiting for a tenant admin’s approval' });
    expect(region).toHaveTextContent('Only tenant admins can approve or reject it.');
    expect(within(region).queryByRole('button')).not.toBeInTheDocument();
  });
});

describe('undo a run', () => {
  it('confirms with the count of what it would reactivate, then says what it did', async () => {
    db.undoPreview = makeUndoPreview({ reactivate: 9, already_active: 1, deleted: 2, deactivated_again: 0 });
    const { user } = renderApp({ path: '/reports/3' });

    const card = await screen.findByRole('region', { name: 'Undo this run' });
    await user.click(within(card).getByRole('button', { name: 'Undo this run' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo run #3?' });
    expect(await within(dialog).findByText('9 accounts this run deactivated will be active again, with their last activity set to now.')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('1 account active already.');
    expect(dialog).toHaveTextContent('2 accounts deleted since the run: they cannot be restored.');
    await user.click(within(dialog).getByRole('button', { name: 'Reactivate 9 accounts' }));

    const done = await within(card).findByRole('status');
    expect(done).toHaveTextContent('Run #3 undone: 9 accounts reactivated');
    expect(done).toHaveTextContent('2 accounts deleted since the run');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says when there is nothing left to undo and offers nothing to confirm', async () => {
    db.undoPreview = makeUndoPreview({ reactivate: 0, already_active: 12, deleted: 0 });
    const { user } = renderApp({ path: '/reports/3' });

    await user.click(within(await screen.findByRole('region', { name: 'Undo this run' })).getByRole('button', { name: 'Undo this run' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo run #3?' });

    expect(await within(dialog).findByText('Nothing to undo: no account is still inactive because of this run.')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Reactivate' })).toBeDisabled();
  });

  it('shows why the count could not be had', async () => {
    server.use(
      http.get('/api/reports/3/undo/', () =>
        HttpResponse.json({ detail: 'Run #3 is running; undo it once it has finished.', status: 'running' }, { status: 409 }),
      ),
    );
    const { user } = renderApp({ path: '/reports/3' });

    await user.click(within(await screen.findByRole('region', { name: 'Undo this run' })).getByRole('button', { name: 'Undo this run' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo run #3?' });

    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Run #3 is running; undo it once it has finished.');
    expect(within(dialog).getByRole('button', { name: 'Reactivate' })).toBeDisabled();
  });

  // Whether a run can be undone is the server's to say (can_undo): a finished run that
  // deactivated someone, for a tenant admin. The page follows it, whatever the run looks like.
  it.each([
    ['offers', true],
    ['does not offer', false],
  ])('%s Undo as the report says (can_undo), on a finished run that deactivated 12 users either way', async (_, canUndo) => {
    db.reports = [makeReport({ id: 3, status: 'succeeded', dry_run: false, action: 'deactivate', users_deactivated: 12, can_undo: canUndo })];
    renderApp({ path: '/reports/3' });
    expect(await screen.findByRole('heading', { level: 1, name: /Run #3/ })).toBeInTheDocument();
    await screen.findByRole('region', { name: /Audit list/ });
    expect(screen.queryByRole('region', { name: 'Undo this run' }) !== null).toBe(canUndo);
  });
});

describe('reactivate one account', () => {
  it('reactivates from the audit row, which then says when and by whom', async () => {
    db.audit = [makeAuditEntry(1), makeAuditEntry(2, { restored_at: '2025-05-30T09:00:00Z', restored_by: 'carol' }), makeAuditEntry(3, { action: 'deleted' })];
    const { user } = renderApp({ path: '/reports/3' });

    const audit = await screen.findByRole('table', { name: 'Audit list of run #3' });
    const rows = within(audit).getAllByRole('row');
    expect(within(rows[2]!).getByText('Reactivated')).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent('by carol');
    expect(within(rows[3]!).getByText('Deleted')).toBeInTheDocument();
    expect(within(rows[2]!).queryByRole('button')).not.toBeInTheDocument();
    expect(within(rows[3]!).queryByRole('button')).not.toBeInTheDocument();

    await user.click(within(rows[1]!).getByRole('button', { name: 'Reactivate user1' }));

    await waitFor(() => expect(within(audit).getAllByRole('row')[1]).toHaveTextContent('by admin'));
    expect(within(audit).queryByRole('button', { name: 'Reactivate user1' })).not.toBeInTheDocument();
  });

  it('409: says why on the row', async () => {
    db.audit = [makeAuditEntry(1)];
    server.use(http.post('/api/reports/3/users/1/reactivate/', () => HttpResponse.json({ detail: "user1's account is already active." }, { status: 409 })));
    const { user } = renderApp({ path: '/reports/3' });

    await user.click(await screen.findByRole('button', { name: 'Reactivate user1' }));

    const table = screen.getByRole('table', { name: 'Audit list of run #3' });
    expect(await within(table).findByRole('alert')).toHaveTextContent("user1's account is already active.");
  });
});
