import { expect, expectAccessible, loginAsAdmin, shot, test } from './fixtures';

test('tenant admin previews a policy and saves it', async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Policy', exact: true }).click();
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  const headline = page.getByTestId('preview-headline');
  await headline.waitFor();

  // The seeded policy warns two weeks ahead, in words.
  const notice = page.getByRole('spinbutton', { name: 'Warn users by email (days before)' });
  await page.getByText(/Users get an email 14 days before their account is deactivated/).waitFor();

  // A wide net first, with no warning (every seeded user has an email address, so with
  // notices nobody would be removed yet): the preview says such a run would stop at the cap.
  await notice.fill('0');
  const days = page.getByRole('spinbutton', { name: 'Inactive for more than (days)' });
  await days.fill('1');
  const cap = page.getByRole('spinbutton', { name: /Safety cap/ });
  // A percentage, as the overview shows it.
  const capValue = await cap.inputValue();
  expect(capValue, 'the cap is not a percentage').toMatch(/^\d+(\.\d+)?$/);
  expect(Number(capValue), 'the cap is not a percentage').toBeGreaterThanOrEqual(1);
  await cap.fill('10');
  const overCap = page.getByText(/A run with these settings would (abort|wait for approval)/);
  await overCap.waitFor();

  // Then settings a dry run can finish with; a varying value keeps the form dirty on re-runs.
  const inactive = String(300 + (Date.now() % 60));
  await days.fill(inactive);
  await cap.fill('95');
  await overCap.waitFor({ state: 'detached' });
  await expect(headline).toHaveText(/With these settings \d[\d,]* of \d[\d,]* users are past the limits/);
  await page.getByTestId('preview-stages').getByText('Warn by email').waitFor();

  // The lifecycle: warn 14 days ahead, a 30-day restore window, stop (not ask) over the cap.
  await notice.fill('14');
  await page.getByText(/Users get an email 14 days before their account is deactivated/).waitFor();
  const restore = page.getByRole('switch', { name: /Restore window/ });
  if (!(await restore.isChecked())) await restore.check();
  const window = page.getByRole('spinbutton', { name: 'Delete deactivated accounts after (days)' });
  await window.fill('30');
  await page.getByText(/can be reactivated for 30 days/).waitFor();
  await page.getByRole('radio', { name: /Stop the run/ }).check();
  const notify = page.getByRole('switch', { name: "Email the tenant's admins" });
  if (!(await notify.isChecked())) await notify.check();
  // The preview has caught up with the form (debounced): nobody is warned yet, so with a
  // two weeks' notice nobody would be deactivated now.
  await page.locator('.preview-card [aria-busy="false"]').waitFor();
  await page.getByTestId('preview-stages').getByText('Deactivate').locator('xpath=..').getByText('0', { exact: true }).waitFor();
  // Each sampled user says why, in words: when they were last active and through what (the
  // demo's identity provider reports a third of the sign-ins' users as active through sso).
  const whys = page.getByRole('table', { name: 'Users these settings would remove' }).locator('tbody tr td:nth-child(3) > span:first-child');
  await whys.first().waitFor();
  const texts = await whys.allTextContents();
  const day = String.raw`\d{1,2} [A-Z][a-z]{2,3} \d{4}`;
  for (const text of texts) {
    expect(text).toMatch(new RegExp(`^(last active ${day} through (sign-in|sso)|never active since joining ${day})$`));
  }
  expect(
    texts.some((text) => text.endsWith('through sso')),
    'no sampled user was active through sso',
  ).toBe(true);
  await shot(page, 'policy-editor');
  await expectAccessible(page, 'policy-editor');

  const dryRun = page.getByRole('switch', { name: /Dry run/ });
  if (!(await dryRun.isChecked())) await dryRun.check();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('Policy saved.').waitFor();

  // Saved for real: a fresh load shows them.
  await page.reload();
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  await expect(notice, 'notice days not saved').toHaveValue('14');
  await expect(restore, 'restore window not saved').toBeChecked();
  await expect(window, 'restore window not saved').toHaveValue('30');
  await expect(page.getByRole('radio', { name: /Stop the run/ }), 'on_cap not saved').toBeChecked();
  await expect(notify, 'notify_admins not saved').toBeChecked();

  // The API's own validation shows next to each field, every one after one save: a day
  // count out of range (its shape) and a group that does not exist (a rule beyond it).
  await days.fill('99999');
  const groups = page.getByRole('textbox', { name: 'Exempt groups' });
  await groups.fill('no-such-group');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page
    .getByText(/less than or equal to 3650/)
    .first()
    .waitFor();
  await page.getByText('No such group in this tenant: no-such-group.').first().waitFor();
  await expect(days, 'inactive days not flagged invalid').toHaveAttribute('aria-invalid', 'true');
  await expect(groups, 'exempt groups not flagged invalid').toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'policy-validation');
  await expectAccessible(page, 'policy-validation');
});
