import { creds, expect, expectAccessible, GLOBEX, login, shot, test } from './fixtures';

test('tenant admin answers a run that waits for approval', async ({ page }) => {
  await login(page, GLOBEX, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const banner = page.getByRole('region', { name: /is waiting for your approval/ });
  await banner.waitFor();
  await expect(banner).toHaveText(/It would deactivate [\d,]+ users of [\d,]+ eligible \(\d/);
  await shot(page, 'approval-banner');
  await expectAccessible(page, 'overview-awaiting-approval');

  // Rejecting says what it does; cancelled here, it sends nothing.
  await banner.getByRole('button', { name: 'Reject' }).click();
  const reject = page.getByRole('dialog', { name: /Reject run #\d+\?/ });
  await reject.getByText('The run ends as aborted and removes nobody.').waitFor();
  await expectAccessible(page, 'reject-confirmation');
  await reject.getByRole('button', { name: 'Cancel' }).click();
  await reject.waitFor({ state: 'detached' });

  // The run's own page says the same and offers the same answers.
  await page.getByRole('table', { name: 'Recent cleanup runs' }).getByRole('link', { name: 'Run #2', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /Run #2/ }).waitFor();
  await page
    .getByRole('region', { name: /is waiting for your approval/ })
    .getByRole('button', { name: 'Approve' })
    .waitFor();
  await expectAccessible(page, 'report-awaiting-approval');
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  await banner.getByRole('button', { name: 'Approve' }).click();
  const approve = page.getByRole('dialog', { name: /Approve run #\d+\?/ });
  await approve.getByText(/The run is queued again and will deactivate at most [\d,]+ users/).waitFor();
  await shot(page, 'approve-confirmation', { fullPage: false });
  await expectAccessible(page, 'approve-confirmation');
  await approve.getByRole('button', { name: 'Approve and run' }).click();
  await banner.waitFor({ state: 'detached' });

  // The worker takes the approved run; its page says who approved it and the limit.
  // Scoped to the reports table: until the navigation lands, the page being left can show
  // its own link to the same run.
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await page.getByRole('table', { name: 'Cleanup reports' }).getByRole('link', { name: 'Run #2', exact: true }).click();
  await page.getByText(/Approved by admin on .*, to remove at most [\d,]+ users\./).waitFor();
  await page
    .getByRole('heading', { level: 1, name: /Run #2/ })
    .getByText(/Succeeded|Aborted|Failed/)
    .waitFor({ timeout: 60_000 });
  await shot(page, 'approved-run');
  await expectAccessible(page, 'approved-run');
});
