import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { makePolicy, makePreview } from '@/testing/fixtures';
import { db } from '@/testing/handlers';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';
import spec from '../../../openapi.json';

describe('policy editor', () => {
  it('loads every policy field with the schedule description and timezone picker', async () => {
    renderApp({ path: '/policy' });
    expect(await screen.findByRole('heading', { name: 'Cleanup policy' })).toBeInTheDocument();
    expect(screen.getByRole('spinbutton', { name: 'Inactive for more than (days)' })).toHaveValue(90);
    expect(screen.getByRole('spinbutton', { name: /Never logged in/ })).toHaveValue(30);
    expect(screen.getByRole('radio', { name: /Deactivate/ })).toBeChecked();
    expect(screen.getByRole('switch', { name: /Dry run/ })).toBeChecked();
    expect(screen.getByRole('switch', { name: 'Run on schedule' })).toBeChecked();
    expect(screen.getByRole('textbox', { name: 'Exempt groups' })).toHaveValue('');
    expect(screen.getByRole('spinbutton', { name: /Safety cap/ })).toHaveValue(50);
    expect(screen.getByRole('radio', { name: /Ask an admin to approve/ })).toBeChecked();
    expect(screen.getByRole('spinbutton', { name: 'Warn users by email (days before)' })).toHaveValue(14);
    expect(screen.getByRole('switch', { name: /Restore window/ })).not.toBeChecked();
    expect(screen.getByRole('switch', { name: "Email the tenant's admins" })).toBeChecked();
    expect(screen.getByRole('textbox', { name: 'Schedule (cron)' })).toHaveAccessibleDescription(/At 03:00/);
    const tz = screen.getByRole('combobox', { name: 'Timezone' });
    expect(tz).toHaveValue('UTC');
    expect(within(tz).getByRole('option', { name: 'Europe/Berlin' })).toBeInTheDocument();
  });

  it('bounds each number field by the range the server states in its OpenAPI document, and says it', async () => {
    db.policy = makePolicy({ delete_after_days: 30 });
    renderApp({ path: '/policy' });
    await screen.findByRole('heading', { name: 'Cleanup policy' });
    const fields = spec.components.schemas.PatchedPolicyWriteRequest.properties;

    for (const [name, field] of [
      ['Inactive for more than (days)', fields.inactive_days],
      [/Never logged in/, fields.never_logged_in_days],
      ['Warn users by email (days before)', fields.notice_days],
      ['Delete deactivated accounts after (days)', fields.delete_after_days],
    ] as const) {
      const input = screen.getByRole('spinbutton', { name });
      expect([input.getAttribute('min'), input.getAttribute('max')]).toEqual([String(field.minimum), String(field.maximum)]);
    }
    expect(screen.getByRole('spinbutton', { name: 'Inactive for more than (days)' })).toHaveAccessibleDescription(
      `Since last login or last API use. ${fields.inactive_days.minimum}–${fields.inactive_days.maximum}.`,
    );
    // The cap is edited as a percentage of the server's share.
    const cap = screen.getByRole('spinbutton', { name: /Safety cap/ });
    expect([cap.getAttribute('min'), cap.getAttribute('max')]).toEqual([
      String(fields.max_removal_ratio.minimum * 100),
      String(fields.max_removal_ratio.maximum * 100),
    ]);
  });

  it('shows a live preview of the edited policy before saving', async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post('/api/cleanup/preview/', async ({ request }) => {
        const body = (await request.json()) as { inactive_days?: number };
        bodies.push(body);
        return HttpResponse.json(
          body.inactive_days === 30
            ? makePreview({ users_matched: 80, users_eligible: 120, would_abort: true })
            : makePreview({ users_matched: 3, users_eligible: 120 }),
        );
      }),
    );
    const { user } = renderApp({ path: '/policy' });

    const headline = await screen.findByTestId('preview-headline');
    expect(headline).toHaveTextContent('With these settings 3 of 120 users are past the limits.');
    const stages = screen.getByTestId('preview-stages');
    expect(stages).toHaveTextContent('Warn by email5');
    expect(stages).toHaveTextContent('Deactivate2');
    expect(stages).toHaveTextContent('Delete0');
    expect(screen.getByRole('cell', { name: /user1/ })).toBeInTheDocument();
    expect(screen.getAllByText('Never logged in').length).toBeGreaterThan(0);

    const days = screen.getByRole('spinbutton', { name: 'Inactive for more than (days)' });
    await user.clear(days);
    await user.type(days, '30');

    await waitFor(() => expect(screen.getByTestId('preview-headline')).toHaveTextContent('With these settings 80 of 120 users'), { timeout: 8000 });
    expect(screen.getByRole('alert')).toHaveTextContent('A run with these settings would wait for approval');
    expect(bodies.at(-1)).toMatchObject({ inactive_days: 30, action: 'deactivate', timezone: 'UTC' });
    // Debounced: typing "30" did not send one preview per keystroke.
    expect(bodies.length).toBeLessThanOrEqual(3);
    expect(db.policy.inactive_days).toBe(90);
  });

  it('shows the API validation errors inline next to their fields and saves nothing', async () => {
    server.use(
      http.put('/api/cleanup/policy/', () =>
        HttpResponse.json(
          { inactive_days: ['Ensure this value is less than or equal to 3650.'], schedule: ['Invalid cron expression: expected 5 fields.'] },
          { status: 400 },
        ),
      ),
    );
    const { user } = renderApp({ path: '/policy' });

    const days = await screen.findByRole('spinbutton', { name: 'Inactive for more than (days)' });
    await user.clear(days);
    await user.type(days, '9999');
    const cron = screen.getByRole('textbox', { name: 'Schedule (cron)' });
    await user.clear(cron);
    await user.type(cron, 'every day');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Ensure this value is less than or equal to 3650.')).toBeInTheDocument();
    expect(days).toHaveAttribute('aria-invalid', 'true');
    expect(days).toHaveAccessibleDescription(/Ensure this value is less than or equal to 3650/);
    expect(cron).toHaveAccessibleDescription(/Invalid cron expression/);
    expect(screen.getByText(/The policy was not saved/)).toBeInTheDocument();
    expect(db.policy.inactive_days).toBe(90);

    // Editing the field clears its error.
    await user.clear(days);
    await user.type(days, '120');
    expect(screen.queryByText('Ensure this value is less than or equal to 3650.')).not.toBeInTheDocument();
  });

  it('also flags invalid fields from the preview while typing', async () => {
    server.use(http.post('/api/cleanup/preview/', () => HttpResponse.json({ timezone: ['"Mars/Olympus" is not a valid choice.'] }, { status: 400 })));
    renderApp({ path: '/policy' });
    expect(await screen.findByText('"Mars/Olympus" is not a valid choice.', {}, { timeout: 8000 })).toBeInTheDocument();
    expect(screen.getByText('Fix the highlighted fields to see a preview.')).toBeInTheDocument();
  });

  it('saves the edited policy and shows the new schedule description', async () => {
    server.use(
      http.put('/api/cleanup/policy/', async ({ request }) => {
        db.policy = { ...db.policy, ...((await request.json()) as object), schedule_description: 'At 03:00, only on Monday' };
        return HttpResponse.json(db.policy);
      }),
    );
    const { user } = renderApp({ path: '/policy' });

    await user.click(await screen.findByRole('button', { name: 'Mondays 03:00' }));
    await user.click(screen.getByRole('radio', { name: /Delete/ }));
    await user.type(screen.getByRole('textbox', { name: 'Exempt groups' }), 'vip, billing');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Policy saved.')).toBeInTheDocument();
    expect(db.policy).toMatchObject({ schedule: '0 3 * * 1', action: 'delete', exempt_groups: ['vip', 'billing'], inactive_days: 90, max_removal_ratio: 0.5 });
    expect(screen.getByRole('textbox', { name: 'Schedule (cron)' })).toHaveAccessibleDescription(/At 03:00, only on Monday/);
  });

  it('explains the lifecycle fields in plain words as they are edited', async () => {
    const { user } = renderApp({ path: '/policy' });

    const notice = await screen.findByRole('spinbutton', { name: 'Warn users by email (days before)' });
    expect(notice).toHaveAccessibleDescription(/Users get an email 14 days before their account is deactivated/);
    await user.clear(notice);
    await user.type(notice, '7');
    expect(notice).toHaveAccessibleDescription(/Users get an email 7 days before their account is deactivated/);
    await user.clear(notice);
    await user.type(notice, '0');
    expect(notice).toHaveAccessibleDescription('No email: accounts are deactivated without warning.');

    await user.click(screen.getByRole('switch', { name: /Restore window/ }));
    const window = screen.getByRole('spinbutton', { name: 'Delete deactivated accounts after (days)' });
    expect(window).toHaveValue(30);
    expect(window).toHaveAccessibleDescription(/can be reactivated for 30 days; after that, those nobody reactivated are deleted/);

    // Deleting leaves nothing to restore: the window goes away, and says why.
    await user.click(screen.getByRole('radio', { name: /Delete/ }));
    expect(screen.queryByRole('spinbutton', { name: 'Delete deactivated accounts after (days)' })).not.toBeInTheDocument();
    expect(screen.getByRole('switch', { name: /Restore window/ })).toBeDisabled();
    expect(screen.getByRole('switch', { name: /Restore window/ })).toHaveAccessibleDescription(/Only with “Deactivate”/);
    expect(notice).toHaveAccessibleDescription('No email: accounts are deleted without warning.');
  });

  it('saves the lifecycle fields, with no restore window for a delete policy', async () => {
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.put('/api/cleanup/policy/', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        bodies.push(body);
        db.policy = { ...db.policy, ...body };
        return HttpResponse.json(db.policy);
      }),
    );
    const { user } = renderApp({ path: '/policy' });

    const notice = await screen.findByRole('spinbutton', { name: 'Warn users by email (days before)' });
    await user.clear(notice);
    await user.type(notice, '21');
    await user.click(screen.getByRole('switch', { name: /Restore window/ }));
    const window = screen.getByRole('spinbutton', { name: 'Delete deactivated accounts after (days)' });
    await user.clear(window);
    await user.type(window, '60');
    await user.click(screen.getByRole('radio', { name: /Stop the run/ }));
    await user.click(screen.getByRole('switch', { name: "Email the tenant's admins" }));
    await user.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Policy saved.')).toBeInTheDocument();
    expect(bodies.at(-1)).toMatchObject({ notice_days: 21, delete_after_days: 60, on_cap: 'abort', notify_admins: false });

    await user.click(screen.getByRole('radio', { name: /Delete/ }));
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(bodies).toHaveLength(2));
    expect(bodies.at(-1)).toMatchObject({ action: 'delete', delete_after_days: null });
  });

  it('shows the API refusing a restore window next to its field', async () => {
    server.use(
      http.put('/api/cleanup/policy/', () => HttpResponse.json({ delete_after_days: ['Ensure this value is less than or equal to 3650.'] }, { status: 400 })),
    );
    const { user } = renderApp({ path: '/policy' });

    await user.click(await screen.findByRole('switch', { name: /Restore window/ }));
    const window = screen.getByRole('spinbutton', { name: 'Delete deactivated accounts after (days)' });
    await user.clear(window);
    await user.type(window, '9999');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Ensure this value is less than or equal to 3650.')).toBeInTheDocument();
    expect(window).toHaveAttribute('aria-invalid', 'true');
    expect(db.policy.delete_after_days).toBeNull();
  });

  it('shows and edits the safety cap as a percentage, and sends the API its share', async () => {
    const previews: Record<string, unknown>[] = [];
    let saved: Record<string, unknown> | null = null;
    server.use(
      http.post('/api/cleanup/preview/', async ({ request }) => {
        previews.push((await request.json()) as Record<string, unknown>);
        return HttpResponse.json(makePreview());
      }),
      http.put('/api/cleanup/policy/', async ({ request }) => {
        saved = (await request.json()) as Record<string, unknown>;
        db.policy = { ...db.policy, ...saved };
        return HttpResponse.json(db.policy);
      }),
    );
    const { user } = renderApp({ path: '/policy' });

    const cap = await screen.findByRole('spinbutton', { name: 'Safety cap: the largest share of eligible users one run may remove (%)' });
    expect(cap).toHaveValue(50);
    expect(cap).toHaveAccessibleDescription(
      'A run that would deactivate or delete more than 50% of eligible users removes nobody: it waits for a tenant admin to approve it.',
    );
    await user.clear(cap);
    await user.type(cap, '7');
    await user.click(screen.getByRole('radio', { name: /Stop the run/ }));
    expect(cap).toHaveAccessibleDescription('A run that would deactivate or delete more than 7% of eligible users removes nobody: it stops.');
    await waitFor(() => expect(previews.at(-1)).toMatchObject({ max_removal_ratio: 0.07, on_cap: 'abort' }), { timeout: 8000 });

    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Policy saved.')).toBeInTheDocument();
    expect(saved).toMatchObject({ max_removal_ratio: 0.07 });
    expect(cap).toHaveValue(7);
  });

  it('keeps a cap saved more finely than a whole percent when another field is saved', async () => {
    db.policy = makePolicy({ max_removal_ratio: 0.123456 });
    let saved: Record<string, unknown> | null = null;
    server.use(
      http.put('/api/cleanup/policy/', async ({ request }) => {
        saved = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json({ ...db.policy, ...saved });
      }),
    );
    const { user } = renderApp({ path: '/policy' });

    expect(await screen.findByRole('spinbutton', { name: /Safety cap/ })).toHaveValue(12.3456);
    await user.click(screen.getByRole('button', { name: 'Mondays 03:00' }));
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Policy saved.')).toBeInTheDocument();
    expect(saved).toMatchObject({ max_removal_ratio: 0.123456 });
  });

  it('shows the API refusing the cap beside the percentage, and says what it takes', async () => {
    server.use(
      http.put('/api/cleanup/policy/', () =>
        HttpResponse.json({ max_removal_ratio: ['Must be from 0.01 to 1 (1% to 100% of eligible users).'] }, { status: 400 }),
      ),
    );
    const { user } = renderApp({ path: '/policy' });

    const cap = await screen.findByRole('spinbutton', { name: /Safety cap/ });
    await user.clear(cap);
    await user.type(cap, '0.5');
    expect(cap).toHaveAccessibleDescription(/A percentage from 1 to 100/);
    await user.click(screen.getByRole('button', { name: 'Save policy' }));

    expect(await screen.findByText('Must be from 0.01 to 1 (1% to 100% of eligible users).')).toBeInTheDocument();
    expect(cap).toHaveAttribute('aria-invalid', 'true');
    expect(db.policy.max_removal_ratio).toBe(0.5);

    // Editing the percentage clears the API's error on the share.
    await user.type(cap, '5');
    expect(cap).not.toHaveAttribute('aria-invalid');
  });
});
