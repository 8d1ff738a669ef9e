import { creds, expect, INITECH, TENANT, test, type Locator, type Page } from './fixtures';

/**
 * Move focus with Tab (or Shift+Tab) until it is on `target`, as a person would: no click,
 * no programmatic focus. Fails when `max` presses never reach it.
 */
async function tabTo(page: Page, target: Locator, { backwards = false, max = 80 } = {}) {
  await target.waitFor();
  for (let presses = 0; presses <= max; presses += 1) {
    if (await target.evaluate((node) => node === document.activeElement)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  throw new Error(`${max} presses of ${backwards ? 'Shift+Tab' : 'Tab'} never reached ${target}; focus is on ${focused}`);
}

async function focusIsIn(dialog: Locator) {
  return dialog.evaluate((node) => node.contains(document.activeElement));
}

/** Sign in by keyboard: the username field has focus on arrival. */
async function signIn(page: Page, base: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').waitFor();
  await expect(page.getByLabel('Username')).toBeFocused();
  await page.keyboard.type(creds.admin.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(creds.admin.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

async function follow(page: Page, link: Locator) {
  await tabTo(page, link);
  await page.keyboard.press('Enter');
}

test('keyboard only: sign in, open and dismiss the run dialog', async ({ page }) => {
  await signIn(page, TENANT);
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await tabTo(page, runButton);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
  await dialog.waitFor();
  expect(await focusIsIn(dialog), 'focus did not move into the dialog').toBe(true);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await expect(runButton, 'focus did not return to the button').toBeFocused();
});

// On initech, seeded like globex (a finished run to undo, one waiting for approval) for this
// test alone.
test('keyboard only: edit the policy and save, approve a waiting run, run a cleanup, undo a run', async ({ page }) => {
  await signIn(page, INITECH);
  const nav = page.getByRole('navigation', { name: 'Main' });

  // The policy: one more day of inactivity (an arrow key in the number field), the other
  // answer to "over the cap" (arrow keys in the radio group), saved with Enter.
  await follow(page, nav.getByRole('link', { name: 'Policy', exact: true }));
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  await page.getByTestId('preview-headline').waitFor();
  const days = page.getByRole('spinbutton', { name: 'Inactive for more than (days)' });
  const before = Number(await days.inputValue());
  await tabTo(page, days);
  await page.keyboard.press('ArrowUp');
  await expect(days).toHaveValue(String(before + 1));
  const ask = page.getByRole('radio', { name: /Ask an admin to approve/ });
  const stop = page.getByRole('radio', { name: /Stop the run/ });
  const wasAsk = await ask.isChecked();
  // Tab enters a radio group at its checked radio; an arrow key checks the other.
  await tabTo(page, wasAsk ? ask : stop);
  await page.keyboard.press(wasAsk ? 'ArrowDown' : 'ArrowUp');
  await expect(wasAsk ? stop : ask).toBeChecked();
  await follow(page, page.getByRole('button', { name: 'Save policy' }));
  await page.getByText('Policy saved.').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  await expect(days, 'the inactive days were not saved').toHaveValue(String(before + 1));
  await expect(wasAsk ? stop : ask, 'the answer over the cap was not saved').toBeChecked();

  // The run waiting for approval, approved from the overview's banner.
  await follow(page, nav.getByRole('link', { name: 'Overview', exact: true }));
  const banner = page.getByRole('region', { name: /Run #2 is waiting for your approval/ });
  await follow(page, banner.getByRole('button', { name: 'Approve' }));
  const approve = page.getByRole('dialog', { name: 'Approve run #2?' });
  await approve.waitFor();
  expect(await focusIsIn(approve), 'focus did not move into the approval dialog').toBe(true);
  // Focus stays in the dialog: Shift+Tab from its first control wraps to its last.
  await tabTo(page, approve.getByRole('button', { name: 'Approve and run' }), { backwards: true, max: 3 });
  await page.keyboard.press('Enter');
  await banner.waitFor({ state: 'detached' });

  // A cleanup, once the approved run has finished: the dry-run switch flipped with Space
  // and back, then confirmed.
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await follow(page, runButton);
  const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
  await dialog.locator('.confirm-text').waitFor();
  expect(await focusIsIn(dialog), 'focus did not move into the run dialog').toBe(true);
  const dry = dialog.getByRole('switch', { name: /Dry run/ });
  await tabTo(page, dry, { max: 5 });
  await expect(dry).toBeChecked();
  await page.keyboard.press('Space');
  await expect(dry).not.toBeChecked();
  await page.keyboard.press('Space');
  await expect(dry).toBeChecked();
  await follow(page, dialog.getByRole('button', { name: 'Run (changes nothing)' }));
  const finished = page.locator('.finished-line');
  await finished.waitFor({ timeout: 60_000 });
  await expect(finished).toHaveText(/Run #\d+ finished/);
  const run = (await finished.textContent())?.match(/Run #(\d+) finished/)?.[1];
  await follow(page, finished.getByRole('link', { name: 'Open the report' }));
  await page.getByRole('heading', { level: 1, name: `Run #${run}` }).waitFor();

  // The seeded finished run, found in the reports table and undone.
  await follow(page, nav.getByRole('link', { name: 'Reports', exact: true }));
  await follow(page, page.getByRole('table', { name: 'Cleanup reports' }).getByRole('link', { name: 'Run #1', exact: true }));
  await page.getByRole('heading', { level: 1, name: /Run #1/ }).waitFor();
  const card = page.getByRole('region', { name: 'Undo this run' });
  await follow(page, card.getByRole('button', { name: 'Undo this run' }));
  const undo = page.getByRole('dialog', { name: 'Undo run #1?' });
  await undo.getByText(/^\d[\d,]* accounts? this run deactivated will be active again/).waitFor();
  await follow(page, undo.getByRole('button', { name: /^Reactivate \d/ }));
  await expect(card.getByRole('status')).toContainText(/Run #1 undone: [\d,]+ accounts? reactivated/);
});
