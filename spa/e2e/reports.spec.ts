import { creds, expect, expectAccessible, GLOBEX, login, shot, test } from './fixtures';

test('tenant admin reactivates one account, then undoes the whole run', async ({ page }) => {
  await login(page, GLOBEX, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  // Run #1 is the seeded deactivation run that finished.
  await page.goto(`${GLOBEX}/reports/1`);
  await page.getByRole('heading', { level: 1, name: /Run #1/ }).waitFor();
  const audit = page.getByRole('table', { name: 'Audit list of run #1' });
  await audit.waitFor();
  await expectAccessible(page, 'report-detail-audit');

  const first = audit.getByRole('row').nth(1);
  const reactivate = first.getByRole('button', { name: /^Reactivate / });
  await reactivate.click();
  await first.getByText('Reactivated').waitFor();
  await first.getByText(/by admin/).waitFor();
  await shot(page, 'audit-reactivated');

  const card = page.getByRole('region', { name: 'Undo this run' });
  await card.getByRole('button', { name: 'Undo this run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Undo run #1?' });
  const count = dialog.getByText(/^\d[\d,]* accounts? this run deactivated will be active again/);
  await count.waitFor();
  const expected = Number((await count.textContent())?.match(/^[\d,]+/)?.[0].replace(/,/g, ''));
  // The one reactivated by hand is not counted again.
  await dialog.getByText('1 account active already.').waitFor();
  await shot(page, 'undo-confirmation', { fullPage: false });
  await expectAccessible(page, 'undo-confirmation');
  await dialog.getByRole('button', { name: /^Reactivate \d/ }).click();

  const done = card.getByRole('status');
  await done.waitFor();
  await expect(done).toContainText(`Run #1 undone: ${expected.toLocaleString('en-US')} account`);
  // Every row of the audit list now says it was reactivated.
  await audit
    .getByRole('button', { name: /^Reactivate / })
    .first()
    .waitFor({ state: 'detached' });
  await shot(page, 'undo-done');
  await expectAccessible(page, 'undo-done');
});
