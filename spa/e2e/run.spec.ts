import { readFile } from 'node:fs/promises';
import { clickSwitchAt, enabledRunButton, expect, expectAccessible, loginAsAdmin, shot, test } from './fixtures';

// Acme's own runs, in order: the reports table has rows once the first has finished.
test.describe.serial('overview and runs', () => {
  test('tenant admin triggers a dry run, watches it finish, opens its audit list and downloads the CSV', async ({ page }) => {
    await loginAsAdmin(page);
    const runButton = await enabledRunButton(page);
    await runButton.click();
    const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
    await dialog.waitFor();
    const dry = dialog.getByRole('switch', { name: /Dry run/ });
    await dialog.locator('.confirm-text').waitFor();
    // The switch toggles wherever it is clicked: its track, its label, the control itself.
    const was = await dry.isChecked();
    await clickSwitchAt(dry, '.switch-track');
    await expect(dry, 'a click on the dry-run switch’s track did not toggle it').toBeChecked({ checked: !was });
    await clickSwitchAt(dry, '.switch-label');
    await expect(dry, 'a click on the dry-run switch’s label did not toggle it').toBeChecked({ checked: was });
    await dry.click();
    await expect(dry, 'a click on the dry-run switch did not toggle it').toBeChecked({ checked: !was });
    if (!(await dry.isChecked())) await dry.check();
    await dialog.getByText(/Dry run: report the .* users matched by the current policy/).waitFor();
    // A dry run changes nothing, and its button says so.
    const start = dialog.getByRole('button', { name: 'Run (changes nothing)' });
    await expect(start, 'a dry run has a red button').not.toHaveClass(/btn-danger/);
    await shot(page, 'run-confirmation', { fullPage: false });
    await expectAccessible(page, 'run-confirmation');
    await start.click();

    // Progress shows while queued/running (it may be brief), then the result line.
    const finished = page.locator('.finished-line');
    await Promise.race([page.getByRole('progressbar').waitFor({ timeout: 10_000 }), finished.waitFor({ timeout: 10_000 })]);
    if (await page.getByRole('progressbar').isVisible()) await shot(page, 'run-progress', { fullPage: false });
    await finished.waitFor({ timeout: 60_000 });
    await expect(finished).toHaveText(/Run #\d+ finished/);
    await expect(runButton, 'run button still disabled after the run finished').toBeEnabled();
    await shot(page, 'overview');
    await expectAccessible(page, 'overview');

    await finished.getByRole('link', { name: 'Open the report' }).click();
    await page.getByRole('heading', { level: 1, name: /Run #\d+/ }).waitFor();
    await page.getByRole('region', { name: /Audit list/ }).waitFor();
    // A dry run says what each stage would have done.
    await page.getByRole('region', { name: 'Summary' }).getByText('Would warn').waitFor();
    await page.getByRole('region', { name: 'Summary' }).getByText('Would deactivate').waitFor();
    const audit = page.getByRole('region', { name: /Audit list/ });
    await audit.locator('.empty-state, table').first().waitFor();
    await page
      .getByRole('region', { name: 'Users warned by email' })
      .getByText(/^A dry run sends no email\./)
      .waitFor();
    await expectAccessible(page, 'report-detail-dry-run');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(download.suggestedFilename(), 'download is not a CSV').toMatch(/\.csv$/);
    expect(csv.split(/\r?\n/)[0], 'CSV has no header').toContain('username');
  });

  test('tenant admin starts a real run that only warns: the button says so, and the report lists who was warned', async ({ page }) => {
    await loginAsAdmin(page);
    const runButton = await enabledRunButton(page);
    await runButton.click();
    const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
    const dry = dialog.getByRole('switch', { name: /Dry run/ });
    await dialog.locator('.confirm-text').waitFor();
    if (await dry.isChecked()) await clickSwitchAt(dry, '.switch-track');
    await expect(dry, 'the dry-run switch did not turn off').not.toBeChecked();
    // Every seeded user has an email address and nobody holds a notice yet: with the saved
    // two weeks' notice, a real run now only warns.
    const confirmText = (await dialog.getByText(/^Right now: /).textContent()) ?? '';
    const warned = confirmText.match(/^Right now: ([\d,]+) warned by email\.$/)?.[1];
    expect(warned, `expected a run that only warns: ${confirmText}`).toBeTruthy();
    const start = dialog.getByRole('button', { name: `Warn ${warned} users` });
    await start.waitFor();
    await expect(start, 'a run that only warns has a red button').not.toHaveClass(/btn-danger/);
    await start.click();

    const finished = page.locator('.finished-line');
    await finished.waitFor({ timeout: 60_000 });
    await expect(finished).toContainText(`${warned} warned by email`);
    await finished.getByRole('link', { name: 'Open the report' }).click();
    await page.getByRole('heading', { level: 1, name: /Run #\d+/ }).waitFor();

    // Nobody was removed, yet some matched: the audit list says how many, never "no user matched".
    const audit = page.getByRole('region', { name: 'Audit list: users removed' });
    await audit.getByText(/^[\d,]+ users? matched the policy, but none was removed/).waitFor();
    await expect(page.getByText('No user matched the policy.'), 'the report says no user matched').toHaveCount(0);
    // Who was warned, page by page.
    const list = page.getByRole('region', { name: 'Users warned by email' });
    const table = list.getByRole('table', { name: /Users run #\d+ warned/ });
    await table.waitFor();
    expect(await table.getByRole('row').count(), 'the warned list is empty').toBeGreaterThan(1);
    await list.getByText(new RegExp(`(^|· )${warned} users?( ·|$)`)).waitFor();
    await shot(page, 'report-detail');
    await expectAccessible(page, 'report-detail');
  });

  test('tenant admin pages through the reports table', async ({ page }) => {
    await loginAsAdmin(page);
    await page.getByRole('link', { name: 'Reports', exact: true }).click();
    const table = page.getByRole('table', { name: 'Cleanup reports' });
    await table.waitFor();
    expect(await table.getByRole('row').count(), 'reports table is empty').toBeGreaterThan(1);
    await shot(page, 'reports');
    await expectAccessible(page, 'reports');
  });
});

// After the runs above, so its chart has bars.
test('the overview is readable at phone width', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await loginAsAdmin(page);
  await page.getByRole('region', { name: 'Users removed per run' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'the page scrolls sideways at phone width').toBeLessThanOrEqual(1);
  await shot(page, 'overview-mobile');
  await expectAccessible(page, 'overview-mobile');
});
