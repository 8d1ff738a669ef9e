import { expect, expectAccessible, loginAsAdmin, shot, test } from './fixtures';

test('tenant admin exempts a user, sees it in the activity log, then removes the exemption', async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Exemptions', exact: true }).click();
  await page.getByRole('heading', { name: 'Exemptions' }).waitFor();
  // seed_demo's users are user0000…user0299.
  const username = `user0${100 + (Date.now() % 200)}`;

  await page.getByRole('button', { name: 'Add exemption' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Exempt a user' });
  // The API's refusals show next to their fields, all after one submit: no username (its
  // shape), no reason and a past expiry (the rules beyond it).
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('   ');
  await dialog.getByLabel('Exempt until (optional)').fill('2001-01-01');
  await dialog.getByRole('button', { name: 'Add exemption' }).click();
  await dialog.getByText('This field may not be blank.').waitFor();
  await dialog.getByText('Say why this user must not be removed.').waitFor();
  await dialog.getByText(/Must be in the future/).waitFor();
  await expect(dialog.getByRole('textbox', { name: 'Reason' }), 'reason not flagged invalid').toHaveAttribute('aria-invalid', 'true');
  // Then a user who does not exist.
  await dialog.getByRole('textbox', { name: 'Username' }).fill('nobody-by-this-name');
  await dialog.getByRole('button', { name: 'Add exemption' }).click();
  await dialog.getByText('No user with this username in this tenant.').waitFor();
  await shot(page, 'exemption-errors', { fullPage: false });
  await expectAccessible(page, 'exemption-errors');

  await dialog.getByRole('textbox', { name: 'Username' }).fill(username);
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('On sabbatical until spring');
  const until = new Date(Date.now() + 90 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await dialog.getByLabel('Exempt until (optional)').fill(until);
  await dialog.getByRole('button', { name: 'Add exemption' }).click();
  await page.getByText(`${username} is exempt from cleanup until`).waitFor();
  await dialog.waitFor({ state: 'detached' });
  const row = page.getByRole('table', { name: 'Exempt users' }).getByRole('row', { name: new RegExp(username) });
  await row.getByText('On sabbatical until spring').waitFor();
  await shot(page, 'exemptions');
  await expectAccessible(page, 'exemptions');

  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  const log = page.getByRole('table', { name: 'Activity log' });
  const created = log.getByRole('row').filter({ hasText: 'exempted a user' }).filter({ hasText: username });
  await created.first().waitFor();
  await expect(created.first(), 'the exemption is not attributed to admin').toContainText('admin');
  await shot(page, 'activity');

  await page.getByRole('link', { name: 'Exemptions', exact: true }).click();
  await page.getByRole('button', { name: `Remove the exemption of ${username}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove this exemption?' });
  await confirm.getByText(`${username} will be treated like everyone else again`).waitFor();
  await expectAccessible(page, 'remove-exemption-confirmation');
  await confirm.getByRole('button', { name: 'Remove exemption' }).click();
  await page.getByText(`The exemption of ${username} was removed.`).waitFor();
  await row.waitFor({ state: 'detached' });

  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  await log.getByRole('row').filter({ hasText: 'removed an exemption' }).filter({ hasText: username }).first().waitFor();
});
