import { creds, expect, expectAccessible, login, shot, TENANT, test } from './fixtures';

test('a tenant member is told they need the tenant-admin or auditor role', async ({ page }) => {
  await login(page, TENANT, creds.member);
  await page.getByRole('heading', { name: 'You need the tenant-admin or auditor role' }).waitFor();
  await shot(page, 'member-forbidden');
  await expectAccessible(page, 'member-forbidden');
});

test('an auditor reads the console and the policy, and the API refuses their write', async ({ page }) => {
  await login(page, TENANT, creds.auditor);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByText('Auditor · read-only').waitFor();
  await page.getByText('Only tenant admins can start a cleanup.', { exact: false }).waitFor();
  await expect(page.getByRole('button', { name: 'Run cleanup now' }), 'an auditor was offered the run button').toHaveCount(0);
  await expectAccessible(page, 'auditor-overview');
  await page.getByRole('link', { name: 'Policy', exact: true }).click();
  await page.getByTestId('preview-headline').waitFor();
  await expect(page.getByRole('button', { name: 'Save policy' }), 'an auditor was offered Save policy').toHaveCount(0);
  await shot(page, 'auditor-policy');
  await expectAccessible(page, 'auditor-policy');
  // What the dashboard does not offer, the API refuses: the reported request, with the
  // auditor's own token.
  const refused = await page.evaluate(async () => {
    const stored = JSON.parse(localStorage.getItem('cleanup-console.tokens') ?? '{}');
    const response = await fetch('/api/cleanup/policy/', {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${stored.access}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'delete', dry_run: false, notice_days: 0, max_removal_ratio: 1.0 }),
    });
    return response.status;
  });
  expect(refused, "the auditor's PATCH").toBe(403);
});
