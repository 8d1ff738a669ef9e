import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makePolicy, makePreview, makeReport } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

async function openConfirmation(user: ReturnType<typeof renderApp>['user']) {
  const button = await screen.findByRole('button', { name: 'Run cleanup now' });
  await waitFor(() => expect(button).toBeEnabled());
  await user.click(button);
  return screen.findByRole('dialog', { name: 'Run cleanup now?' });
}

describe('run cleanup now', () => {
  it('states what each stage will do, using the preview counts, before a real run', async () => {
    db.policy = makePolicy({ action: 'delete', dry_run: false });
    server.use(
      http.post('/api/cleanup/preview/', () =>
        HttpResponse.json(makePreview({ users_matched: 7, users_to_warn: 2, users_to_deactivate: 0, users_to_delete: 5 })),
      ),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    expect(await within(dialog).findByText('Right now: 2 warned by email, 5 deleted.')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('switch', { name: /dry run/i }));
    expect(within(dialog).getByText('Dry run: report the 7 users matched by the current policy. Nobody is changed and no email is sent.')).toBeInTheDocument();
  });

  it('names what a run that only warns will do, in a button that is not red', async () => {
    db.policy = makePolicy({ dry_run: false });
    server.use(
      http.post('/api/cleanup/preview/', () =>
        HttpResponse.json(makePreview({ users_matched: 100, users_to_warn: 101, users_to_deactivate: 0, users_to_delete: 0 })),
      ),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    const confirm = await within(dialog).findByRole('button', { name: 'Warn 101 users' });
    expect(confirm).toHaveClass('btn-primary');
    expect(within(dialog).queryByRole('button', { name: /Deactivate|Delete/ })).not.toBeInTheDocument();
    expect(within(dialog).getByText('Right now: 101 warned by email.')).not.toHaveClass('confirm-danger');
  });

  it.each([
    ['deactivate', { users_to_deactivate: 12 }, 'Deactivate 12 users'],
    ['delete', { users_to_deactivate: 0, users_to_delete: 3 }, 'Delete 3 users'],
  ] as const)('a run that will %s someone says how many, in a red button', async (action, counts, label) => {
    db.policy = makePolicy({ dry_run: false, action });
    server.use(http.post('/api/cleanup/preview/', () => HttpResponse.json(makePreview({ users_to_warn: 0, ...counts }))));
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    expect(await within(dialog).findByRole('button', { name: label })).toHaveClass('btn-danger');
  });

  it('a dry run, and a real run that matches nobody, change nothing and say so', async () => {
    db.policy = makePolicy({ dry_run: false });
    server.use(
      http.post('/api/cleanup/preview/', () =>
        HttpResponse.json(makePreview({ users_matched: 0, users_to_warn: 0, users_to_deactivate: 0, users_to_delete: 0, sample: [] })),
      ),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    expect(await within(dialog).findByRole('button', { name: 'Run (changes nothing)' })).toHaveClass('btn-primary');
    expect(within(dialog).getByText('Nobody would be warned or removed right now.')).toBeInTheDocument();
  });

  it('the dry-run switch toggles from its label as well as from itself', async () => {
    db.policy = makePolicy({ dry_run: true });
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    const dry = within(dialog).getByRole('switch', { name: /dry run/i });
    expect(dry).toBeChecked();
    await user.click(within(dialog).getByText('Dry run — only report, change nobody'));
    expect(dry).not.toBeChecked();
    expect(await within(dialog).findByRole('button', { name: 'Warn 5 users and deactivate 2 users' })).toHaveClass('btn-danger');
    await user.click(dry);
    expect(dry).toBeChecked();
    expect(within(dialog).getByRole('button', { name: 'Run (changes nothing)' })).toHaveClass('btn-primary');
  });

  it.each([
    ['ask', 'This run will wait for approval'],
    ['abort', 'This run will abort'],
  ] as const)('over the safety cap with on_cap %s, the confirmation says: %s', async (onCap, title) => {
    db.policy = makePolicy({ dry_run: false, on_cap: onCap });
    server.use(http.post('/api/cleanup/preview/', () => HttpResponse.json(makePreview({ users_matched: 90, would_abort: true }))));
    const { user } = renderApp();
    const dialog = await openConfirmation(user);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(title);
  });

  it('a real run that ends aborted over the cap finishes with nobody removed, not its would-be count', async () => {
    db.policy = makePolicy({ dry_run: false, on_cap: 'abort' });
    server.use(
      http.post('/api/cleanup/trigger/', () => {
        db.reports.unshift(
          makeReport({ id: 100, status: 'aborted', users_matched: 45, users_deactivated: 40, users_removed: 40, error: 'Safety cap: … Nothing was removed.' }),
        );
        return HttpResponse.json({ report_id: 100, task_id: 't', status: 'queued' }, { status: 202 });
      }),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: /deactivate/i }));

    const finished = await screen.findByText(/Run #100 finished/);
    expect(finished).toHaveTextContent('Run #100 finished: 45 matched, nobody warned or removed (40 would have been removed).');
    expect(finished).not.toHaveTextContent('40 removed');
  });

  it('202: queues a dry run, shows live progress with the button disabled, then the result', async () => {
    let sent: unknown = null;
    let polls = 0;
    server.use(
      http.post('/api/cleanup/trigger/', async ({ request }) => {
        sent = await request.json();
        db.reports.unshift(makeReport({ id: 100, status: 'queued', progress: 0, started_at: null, finished_at: null, dry_run: true, users_removed: 0 }));
        return HttpResponse.json({ report_id: 100, task_id: 't', status: 'queued' }, { status: 202 });
      }),
      http.get('/api/reports/100/', () => {
        polls += 1;
        const report = db.reports[0];
        if (!report) throw new Error('no report');
        if (polls === 2) Object.assign(report, { status: 'running', progress: 0.4, started_at: new Date().toISOString() });
        if (polls >= 3) Object.assign(report, { status: 'succeeded', progress: 1, finished_at: new Date().toISOString(), users_matched: 3 });
        return HttpResponse.json(report);
      }),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: 'Run (changes nothing)' }));

    expect(sent).toEqual({ dry_run: true });
    expect(await screen.findByRole('progressbar', { name: 'Cleanup run #100 progress' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run cleanup now' })).toBeDisabled();

    await waitFor(() => expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40'), { timeout: 8000 });
    expect(await screen.findByText(/Run #100 finished/, {}, { timeout: 8000 })).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run cleanup now' })).toBeEnabled();
    expect(polls).toBeGreaterThanOrEqual(3);
  });

  it('the latest-run card agrees with the finished line even before its own poll sees the run finish', async () => {
    const queued = makeReport({ id: 100, status: 'queued', progress: 0, started_at: null, finished_at: null, dry_run: true });
    server.use(
      http.post('/api/cleanup/trigger/', () => {
        db.reports.unshift({ ...queued });
        return HttpResponse.json({ report_id: 100, task_id: 't', status: 'queued' }, { status: 202 });
      }),
      // The card's own query is a step behind: it still sees the run queued.
      http.get('/api/reports/latest/', () => HttpResponse.json(queued)),
      http.get('/api/reports/100/', () => HttpResponse.json({ ...queued, status: 'succeeded', progress: 1, finished_at: new Date().toISOString() })),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: 'Run (changes nothing)' }));

    expect(await screen.findByText(/Run #100 finished/)).toBeInTheDocument();
    const card = screen.getByRole('region', { name: 'Latest run' });
    await waitFor(() => expect(within(card).getByText('Succeeded')).toBeInTheDocument());
    expect(within(card).queryByText('Queued')).not.toBeInTheDocument();
  });

  it('when a real run that only warned finishes, the line says it warned them and removed nobody', async () => {
    db.policy = makePolicy({ dry_run: false });
    server.use(
      http.post('/api/cleanup/preview/', () =>
        HttpResponse.json(makePreview({ users_matched: 100, users_to_warn: 101, users_to_deactivate: 0, users_to_delete: 0 })),
      ),
      http.post('/api/cleanup/trigger/', () => {
        db.reports.unshift(
          makeReport({ id: 100, dry_run: false, users_matched: 100, users_warned: 101, users_deactivated: 0, users_deleted: 0, users_removed: 0 }),
        );
        return HttpResponse.json({ report_id: 100, task_id: 't', status: 'queued' }, { status: 202 });
      }),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: 'Warn 101 users' }));

    expect(await screen.findByText(/Run #100 finished: 100 matched, 101 warned by email\./)).toBeInTheDocument();
  });

  it('409: says a cleanup is already running and follows that run', async () => {
    db.reports.unshift(makeReport({ id: 77, status: 'running', progress: 0.25, finished_at: null }));
    server.use(
      http.get('/api/reports/latest/', () => HttpResponse.json(makeReport({ id: 5 }))),
      http.post('/api/cleanup/trigger/', () => HttpResponse.json({ detail: 'A cleanup is already running for this tenant.', report_id: 77 }, { status: 409 })),
    );
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: 'Run (changes nothing)' }));

    expect(await screen.findByText('A cleanup is already running.')).toBeInTheDocument();
    expect(await screen.findByRole('progressbar', { name: 'Cleanup run #77 progress' })).toHaveAttribute('aria-valuenow', '25');
  });

  it('503: says the task queue is unavailable', async () => {
    server.use(http.post('/api/cleanup/trigger/', () => HttpResponse.json({ detail: 'Broker unreachable.' }, { status: 503 })));
    const { user } = renderApp();

    const dialog = await openConfirmation(user);
    await user.click(await within(dialog).findByRole('button', { name: 'Run (changes nothing)' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The task queue is unavailable, try again shortly.');
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run cleanup now' })).toBeEnabled();
  });

  it('picks up a run already in progress when the overview opens', async () => {
    db.reports.unshift(makeReport({ id: 9, status: 'running', progress: 0.6, finished_at: null }));
    renderApp();
    expect(await screen.findByRole('progressbar', { name: 'Cleanup run #9 progress' })).toHaveAttribute('aria-valuenow', '60');
    expect(screen.getByRole('button', { name: 'Run cleanup now' })).toBeDisabled();
  });
});

describe('overview', () => {
  it('shows the latest run, the next scheduled run and the removals chart', async () => {
    renderApp();
    const latest = await screen.findByRole('region', { name: 'Latest run' });
    expect(await within(latest).findByRole('link', { name: 'Run #3' })).toBeInTheDocument();
    expect(within(latest).getByText('Warned')).toBeInTheDocument();
    expect(within(latest).getByText('Deactivated')).toBeInTheDocument();
    expect(screen.getByText('Next scheduled run')).toBeInTheDocument();
    expect(screen.getByText(/At 03:00/)).toBeInTheDocument();
    expect(await screen.findByRole('img', { name: /Users removed per run for the last 3 runs/ })).toBeInTheDocument();
  });

  it('counts an aborted run\'s figures as would-be: the latest-run card says "would" and the chart plots only real removals', async () => {
    db.reports = [
      makeReport({ id: 3, status: 'aborted', error: 'Approval expired. Nothing was removed.', users_deactivated: 183, users_removed: 183 }),
      makeReport({ id: 2, status: 'aborted', error: 'Rejected by bob. Nobody was removed.', users_deactivated: 150, users_removed: 150 }),
      makeReport({ id: 1, users_deactivated: 12, users_removed: 12 }),
    ];
    renderApp();

    const latest = await screen.findByRole('region', { name: 'Latest run' });
    expect(await within(latest).findByText('Would deactivate')).toBeInTheDocument();
    expect(within(latest).getByText('Would deactivate').nextSibling).toHaveTextContent('183');
    expect(within(latest).queryByText('Deactivated')).not.toBeInTheDocument();
    const chart = await screen.findByRole('img', { name: 'Users removed per run for the last 3 runs; 12 removed in total' });
    const bars = Array.from(chart.querySelectorAll('rect.chart-bar'));
    expect(bars.map((bar) => Number(bar.getAttribute('height')) > 0)).toEqual([true, false, false]);
    expect(bars.map((bar) => bar.querySelector('title')?.textContent?.replace(/^.* · /, ''))).toEqual([
      '12 removed',
      'nobody removed (aborted; 150 would have been)',
      'nobody removed (aborted; 183 would have been)',
    ]);
    const recent = screen.getByRole('table', { name: 'Recent cleanup runs' });
    expect(
      within(recent)
        .getAllByTitle('Would remove; nobody was removed')
        .map((cell) => cell.textContent),
    ).toEqual(['183 would', '150 would']);
  });

  it.each([
    ['ask', 'Asks for approval above 50% of eligible users'],
    ['abort', 'Aborts above 50% of eligible users'],
  ] as const)('describes the safety cap with the on_cap in force (%s)', async (onCap, sentence) => {
    db.policy = makePolicy({ on_cap: onCap, max_removal_ratio: 0.5 });
    renderApp();
    const card = await screen.findByRole('region', { name: 'Schedule & policy' });
    await waitFor(() => expect(card).toHaveTextContent(sentence));
  });

  it('says a live policy warns before it removes', async () => {
    db.policy = makePolicy({ dry_run: false, notice_days: 14, action: 'delete' });
    renderApp();
    const card = await screen.findByRole('region', { name: 'Schedule & policy' });
    await waitFor(() => expect(card).toHaveTextContent('Live scheduled runs warn users 14 days ahead, then delete them'));
  });

  it('says what to do when no cleanup has run yet', async () => {
    db.reports = [];
    renderApp();
    expect(await screen.findByText(/Run one now or wait for the schedule at/)).toBeInTheDocument();
  });
});
