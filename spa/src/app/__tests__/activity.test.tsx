import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describePolicyChange, formatPolicyValue } from '@/lib/labels/policy-field';
import { makeActivityEvent, operator, platformHost } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('activity log (tenant admins)', () => {
  it('shows who did what and when, with the policy diff in words', async () => {
    db.activity = [
      makeActivityEvent(1, {
        actor: 'alice',
        data: { inactive_days: { old: 90, new: 7 }, dry_run: { old: true, new: false }, exempt_groups: { old: [], new: ['vip', 'board'] } },
      }),
      makeActivityEvent(2, { actor: 'bob', verb: 'cleanup.triggered', target: 'report 12', data: { report_id: 12, dry_run: true } }),
      makeActivityEvent(3, {
        verb: 'exemption.created',
        target: 'ceo',
        data: { exemption_id: 4, reason: 'On sabbatical', expires_at: null },
      }),
    ];
    const { user } = renderApp({ path: '/' });

    await user.click(await screen.findByRole('link', { name: 'Activity' }));

    const table = await screen.findByRole('table', { name: 'Activity log' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('alice');
    expect(rows[0]).toHaveTextContent('changed the policy');
    const changes = within(rows[0]!).getByRole('list', { name: 'Changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['inactive days 90 → 7', 'dry run on → off', 'exempt groups none → vip, board']);
    expect(rows[1]).toHaveTextContent('bobstarted a cleanup');
    expect(within(rows[1]!).getByRole('link', { name: 'Run #12' })).toHaveAttribute('href', '/reports/12');
    expect(rows[1]).toHaveTextContent('(dry run)');
    expect(rows[2]).toHaveTextContent('exempted a user');
    expect(rows[2]).toHaveTextContent('ceo — “On sabbatical” · no end date');
  });

  it('says so when nothing has happened yet', async () => {
    renderApp({ path: '/activity' });
    expect(await screen.findByText('Nothing has happened yet')).toBeInTheDocument();
  });

  it('shows a failure in words', async () => {
    server.use(http.get('/api/activity/', () => HttpResponse.json({ detail: 'Only tenant admins may do this.' }, { status: 403 })));
    renderApp({ path: '/activity' });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the activity log');
    expect(alert).toHaveTextContent('Only tenant admins may do this.');
  });

  it('pages through the log', async () => {
    db.activity = Array.from({ length: 30 }, (_, i) => makeActivityEvent(i + 1, { actor: `admin${i + 1}` }));
    const { user } = renderApp({ path: '/activity' });
    await screen.findByText('Page 1 of 2 · 30 events');
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('Page 2 of 2 · 30 events')).toBeInTheDocument();
    expect(screen.getByText('admin21')).toBeInTheDocument();
  });

  it('an exemption added on its page shows in the log', async () => {
    const { user } = renderApp({ path: '/exemptions' });
    await user.click((await screen.findAllByRole('button', { name: 'Add exemption' }))[0]!);
    const dialog = await screen.findByRole('dialog', { name: 'Exempt a user' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Username' }), 'ceo');
    await user.type(within(dialog).getByRole('textbox', { name: 'Reason' }), 'Board member');
    await user.click(within(dialog).getByRole('button', { name: 'Add exemption' }));
    await screen.findByText('ceo is exempt from cleanup.');

    await user.click(screen.getByRole('link', { name: 'Activity' }));

    const table = await screen.findByRole('table', { name: 'Activity log' });
    expect(within(table).getByText('exempted a user')).toBeInTheDocument();
    expect(within(table).getByText('ceo')).toBeInTheDocument();
  });
});

describe('activity log (operators)', () => {
  beforeEach(() => {
    db.me = operator;
  });

  it('lists the operators’ actions on the root host', async () => {
    db.activity = [
      makeActivityEvent(1, {
        actor: 'operator',
        verb: 'platform.triggered',
        target: 'all tenants',
        data: {
          tenants: null,
          dry_run: true,
          queued: 2,
          skipped: 1,
          skipped_tenants: [{ tenant: 'globex', reason: 'A cleanup is already queued or running (report 4).' }],
        },
      }),
      makeActivityEvent(2, {
        actor: 'operator',
        verb: 'tenant.created',
        target: 'initech',
        data: { name: 'Initech', domain: 'initech.localhost', admin: 'bill' },
      }),
    ];
    const { user } = renderApp({ host: platformHost, path: '/tenants' });

    await user.click(await screen.findByRole('link', { name: 'Activity' }));

    const table = await screen.findByRole('table', { name: 'Activity log' });
    const [triggered, created] = within(table).getAllByRole('row').slice(1);
    expect(triggered).toHaveTextContent('started cleanups');
    expect(triggered).toHaveTextContent('all tenants: 2 started, 1 skipped · dry runs');
    expect(within(triggered!).getByRole('list', { name: 'Skipped tenants' })).toHaveTextContent('globex: A cleanup is already queued');
    expect(created).toHaveTextContent('created a tenant');
    expect(within(created!).getByRole('link', { name: 'initech' })).toHaveAttribute('href', '/tenants/initech');
    expect(created).toHaveTextContent('(Initech) at initech.localhost, first admin bill');
    expect(screen.getByText(/What operators did on the platform/)).toBeInTheDocument();
  });
});

describe('policy values in words', () => {
  it.each([
    ['max_removal_ratio', { old: 0.5, new: 0.25 }, 'safety cap 50% → 25%'],
    ['delete_after_days', { old: null, new: 30 }, 'delete after days never → 30'],
    ['on_cap', { old: 'ask', new: 'abort' }, 'over the cap ask for approval → abort'],
    ['enabled', { old: true, new: false }, 'scheduled runs on → off'],
    ['schedule', { old: '0 3 * * *', new: '*/15 * * * *' }, 'schedule 0 3 * * * → */15 * * * *'],
    ['some_new_field', { old: 'a', new: 'b' }, 'some new field a → b'],
  ])('%s', (field, change, text) => {
    expect(describePolicyChange(field, change)).toBe(text);
  });

  it('never shows an object as [object Object]', () => {
    expect(formatPolicyValue('unknown', { a: 1 })).toBe('{"a":1}');
  });
});
