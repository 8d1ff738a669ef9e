#!/usr/bin/env node
/**
 * End-to-end flows in a real Chromium against the real stack (web + worker +
 * beat, seeded with `manage.py seed_demo`). Uses playwright-core with the
 * system Chromium: no browser download.
 *
 *   E2E_BASE_PORT   port of the running web server (default 8000)
 *   E2E_BASE_DOMAIN the stack's BASE_DOMAIN (default localhost): the operators'
 *                   console is on it, tenant acme on acme.<it>. Chromium maps
 *                   every host name to 127.0.0.1, so any domain works. The
 *                   flows also give a new tenant the custom domain
 *                   e2e-<stamp>.test: the stack's ALLOWED_HOSTS must allow .test.
 *   CHROMIUM_PATH   browser binary (default /usr/bin/chromium)
 *   E2E_SCREENSHOTS where to save screenshots (default ../docs/screenshots)
 *   E2E_ONLY        run only tests whose name contains this text
 *
 * A test fails on an uncaught page error and on any Content-Security-Policy
 * violation Chromium reports in any page's console.
 *
 * Exits non-zero when any test fails and closes with "N passed, N failed".
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = process.env.E2E_BASE_PORT ?? '8000';
const BASE_DOMAIN = process.env.E2E_BASE_DOMAIN ?? 'localhost';
const TENANT = `http://acme.${BASE_DOMAIN}:${port}`;
// Seeded with a finished run to undo and a run awaiting approval (seed_demo --oversight).
const GLOBEX = `http://globex.${BASE_DOMAIN}:${port}`;
const ROOT = `http://${BASE_DOMAIN}:${port}`;
const SHOTS = path.resolve(here, process.env.E2E_SCREENSHOTS ?? '../../docs/screenshots');
const FAILURES = path.resolve(here, 'output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 15_000;

const creds = {
  admin: { username: 'admin', password: 'admin-pass' },
  member: { username: 'member', password: 'member-pass' },
  auditor: { username: 'auditor', password: 'auditor-pass' },
  operator: { username: 'operator', password: 'operator-pass' },
};

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {{ name: string, fn: (t: { page: Page, context: BrowserContext, csp: string[] }) => Promise<void> }} Test */

/** @type {Test[]} */
const tests = [];
/** @param {string} name @param {Test['fn']} fn */
const test = (name, fn) => tests.push({ name, fn });

/** @param {unknown} condition @param {string} message @returns {asserts condition} */
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// Chromium reports every blocked load or inline script/style in the console:
// "Refused to … because it violates the following Content Security Policy directive: …"
// ("[Report Only] Refused …" under Content-Security-Policy-Report-Only).
const CSP_VIOLATION = /violates the following Content Security Policy directive/;

/**
 * A screenshot for the README. A full-page one is taken from the top with the page's sticky
 * parts (header, preview card) un-stuck by the `capture-full-page` class (styles.css):
 * stuck, they are drawn wherever the page was scrolled to, mid-page.
 * @param {Page} page @param {string} name @param {import('playwright-core').PageScreenshotOptions} [options]
 */
async function shot(page, name, options = {}) {
  const fullPage = options.fullPage ?? true;
  if (fullPage) {
    await page.evaluate(() => {
      document.documentElement.classList.add('capture-full-page');
      window.scrollTo(0, 0);
    });
  }
  try {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled', ...options, fullPage });
  } finally {
    if (fullPage) await page.evaluate(() => document.documentElement.classList.remove('capture-full-page'));
  }
}

/**
 * Click a switch where a part of it (its track, its label) is drawn: a real click at that
 * point, which Playwright makes only once the switch is still and only if that point
 * belongs to the switch's control itself (were another element on top, it would refuse).
 * The part's offset from the control is measured in one frame, so it holds while a dialog
 * is still settling.
 * @param {import('playwright-core').Locator} control @param {'.switch-track' | '.switch-label'} part
 */
async function clickSwitchAt(control, part) {
  const position = await control.evaluate((input, selector) => {
    const own = input.getBoundingClientRect();
    const drawn = input.closest('.switch')?.querySelector(selector)?.getBoundingClientRect();
    if (!drawn) throw new Error(`the switch has no ${selector}`);
    return { x: drawn.x + drawn.width / 2 - own.x, y: drawn.y + drawn.height / 2 - own.y };
  }, part);
  await control.click({ position });
}

/** @param {Page} page @param {string} base @param {{ username: string, password: string }} credentials */
async function login(page, base, { username, password }) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** @param {Page} page */
async function loginAsAdmin(page) {
  await login(page, TENANT, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

// ---------------------------------------------------------------- tenant admin

test('tenant admin signs in on acme and sees the overview', async ({ page }) => {
  await page.goto(`${TENANT}/`);
  // The tenant's name (seed_demo: "Acme Inc."), from the config the server injects.
  await page.getByRole('heading', { name: 'Sign in to Acme Inc.' }).waitFor();
  await shot(page, 'login-tenant');
  // Every blank field is named at once, and nothing is sent.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Enter your username.').waitFor();
  await page.getByText('Enter your password.').waitFor();
  await login(page, TENANT, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('region', { name: 'Schedule & policy' }).getByText('Next scheduled run').waitFor();
  await page.getByText('Acme', { exact: false }).first().waitFor();
});

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
  assert(/^\d+(\.\d+)?$/.test(await cap.inputValue()) && Number(await cap.inputValue()) >= 1, `the cap is not a percentage: ${await cap.inputValue()}`);
  await cap.fill('10');
  const overCap = page.getByText(/A run with these settings would (abort|wait for approval)/);
  await overCap.waitFor({ timeout: TIMEOUT });

  // Then settings a dry run can finish with; a varying value keeps the form dirty on re-runs.
  const inactive = String(300 + (Date.now() % 60));
  await days.fill(inactive);
  await cap.fill('95');
  await overCap.waitFor({ state: 'detached', timeout: TIMEOUT });
  const text = await headline.textContent();
  assert(/With these settings \d[\d,]* of \d[\d,]* users are past the limits/.test(text ?? ''), `unexpected preview headline: ${text}`);
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
  await page.locator('.preview-card [aria-busy="false"]').waitFor({ timeout: TIMEOUT });
  await page.getByTestId('preview-stages').getByText('Deactivate').locator('xpath=..').getByText('0', { exact: true }).waitFor({ timeout: TIMEOUT });
  await shot(page, 'policy-editor');

  const dryRun = page.getByRole('switch', { name: /Dry run/ });
  if (!(await dryRun.isChecked())) await dryRun.check();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('Policy saved.').waitFor();

  // Saved for real: a fresh load shows them.
  await page.reload();
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  assert((await notice.inputValue()) === '14', `notice days not saved: ${await notice.inputValue()}`);
  assert(await restore.isChecked(), 'restore window not saved');
  assert((await window.inputValue()) === '30', `restore window not saved: ${await window.inputValue()}`);
  assert(await page.getByRole('radio', { name: /Stop the run/ }).isChecked(), 'on_cap not saved');
  assert(await notify.isChecked(), 'notify_admins not saved');

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
  assert((await days.getAttribute('aria-invalid')) === 'true', 'inactive days not flagged invalid');
  assert((await groups.getAttribute('aria-invalid')) === 'true', 'exempt groups not flagged invalid');
  await shot(page, 'policy-validation');
});

test('tenant admin triggers a dry run, watches it finish, opens its audit list and downloads the CSV', async ({ page }) => {
  await loginAsAdmin(page);
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  // A previous run (scheduled or manual) may still be in flight: wait for it.
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await runButton.click();
  const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
  await dialog.waitFor();
  const dry = dialog.getByRole('switch', { name: /Dry run/ });
  await dialog.locator('.confirm-text').waitFor({ timeout: TIMEOUT });
  // The switch toggles wherever it is clicked: its track, its label, the control itself.
  const was = await dry.isChecked();
  await clickSwitchAt(dry, '.switch-track');
  assert((await dry.isChecked()) === !was, 'a click on the dry-run switch’s track did not toggle it');
  await clickSwitchAt(dry, '.switch-label');
  assert((await dry.isChecked()) === was, 'a click on the dry-run switch’s label did not toggle it');
  await dry.click();
  assert((await dry.isChecked()) === !was, 'a click on the dry-run switch did not toggle it');
  if (!(await dry.isChecked())) await dry.check();
  await dialog.getByText(/Dry run: report the .* users matched by the current policy/).waitFor({ timeout: TIMEOUT });
  // A dry run changes nothing, and its button says so.
  const start = dialog.getByRole('button', { name: 'Run (changes nothing)' });
  assert(!(await start.getAttribute('class'))?.includes('btn-danger'), 'a dry run has a red button');
  await shot(page, 'run-confirmation', { fullPage: false });
  await start.click();

  // Progress shows while queued/running (it may be brief), then the result line.
  const finished = page.locator('.finished-line');
  await Promise.race([page.getByRole('progressbar').waitFor({ timeout: 10_000 }), finished.waitFor({ timeout: 10_000 })]);
  if (await page.getByRole('progressbar').isVisible()) await shot(page, 'run-progress', { fullPage: false });
  await finished.waitFor({ timeout: 60_000 });
  const result = await finished.textContent();
  assert(/Run #\d+ finished/.test(result ?? ''), `unexpected result: ${result}`);
  assert(await runButton.isEnabled(), 'run button still disabled after the run finished');
  await shot(page, 'overview');

  await finished.getByRole('link', { name: 'Open the report' }).click();
  await page.getByRole('heading', { level: 1, name: /Run #\d+/ }).waitFor();
  await page.getByRole('region', { name: /Audit list/ }).waitFor();
  // A dry run says what each stage would have done.
  await page.getByRole('region', { name: 'Summary' }).getByText('Would warn').waitFor();
  await page.getByRole('region', { name: 'Summary' }).getByText('Would deactivate').waitFor();
  const audit = page.getByRole('region', { name: /Audit list/ });
  await audit.locator('.empty-state, table').first().waitFor({ timeout: TIMEOUT });
  await page
    .getByRole('region', { name: 'Users warned by email' })
    .getByText(/^A dry run sends no email\./)
    .waitFor();

  const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const file = await download.path();
  const csv = await readFile(file, 'utf8');
  assert(download.suggestedFilename().endsWith('.csv'), `download is not a CSV: ${download.suggestedFilename()}`);
  assert(csv.split(/\r?\n/)[0]?.includes('username'), `CSV has no header: ${csv.slice(0, 80)}`);
});

test('tenant admin starts a real run that only warns: the button says so, and the report lists who was warned', async ({ page }) => {
  await loginAsAdmin(page);
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await runButton.click();
  const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
  const dry = dialog.getByRole('switch', { name: /Dry run/ });
  await dialog.locator('.confirm-text').waitFor({ timeout: TIMEOUT });
  if (await dry.isChecked()) await clickSwitchAt(dry, '.switch-track');
  assert(!(await dry.isChecked()), 'the dry-run switch did not turn off');
  // Every seeded user has an email address and nobody holds a notice yet: with the saved
  // two weeks' notice, a real run now only warns.
  const confirmText = (await dialog.getByText(/^Right now: /).textContent({ timeout: TIMEOUT })) ?? '';
  const warned = confirmText.match(/^Right now: ([\d,]+) warned by email\.$/)?.[1];
  assert(warned, `expected a run that only warns: ${confirmText}`);
  const start = dialog.getByRole('button', { name: `Warn ${warned} users` });
  await start.waitFor();
  assert(!(await start.getAttribute('class'))?.includes('btn-danger'), 'a run that only warns has a red button');
  await start.click();

  const finished = page.locator('.finished-line');
  await finished.waitFor({ timeout: 60_000 });
  const result = (await finished.textContent()) ?? '';
  assert(result.includes(`${warned} warned by email`), `unexpected result: ${result}`);
  await finished.getByRole('link', { name: 'Open the report' }).click();
  await page.getByRole('heading', { level: 1, name: /Run #\d+/ }).waitFor();

  // Nobody was removed, yet some matched: the audit list says how many, never "no user matched".
  const audit = page.getByRole('region', { name: 'Audit list: users removed' });
  await audit.getByText(/^[\d,]+ users? matched the policy, but none was removed/).waitFor({ timeout: TIMEOUT });
  assert((await page.getByText('No user matched the policy.').count()) === 0, 'the report says no user matched');
  // Who was warned, page by page.
  const list = page.getByRole('region', { name: 'Users warned by email' });
  const table = list.getByRole('table', { name: /Users run #\d+ warned/ });
  await table.waitFor({ timeout: TIMEOUT });
  assert((await table.getByRole('row').count()) > 1, 'the warned list is empty');
  await list.getByText(new RegExp(`(^|· )${warned} users?( ·|$)`)).waitFor();
  await shot(page, 'report-detail');
});

test('tenant admin pages through the reports table', async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  const table = page.getByRole('table', { name: 'Cleanup reports' });
  await table.waitFor();
  assert((await table.getByRole('row').count()) > 1, 'reports table is empty');
  await shot(page, 'reports');
});

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
  assert((await dialog.getByRole('textbox', { name: 'Reason' }).getAttribute('aria-invalid')) === 'true', 'reason not flagged invalid');
  // Then a user who does not exist.
  await dialog.getByRole('textbox', { name: 'Username' }).fill('nobody-by-this-name');
  await dialog.getByRole('button', { name: 'Add exemption' }).click();
  await dialog.getByText('No user with this username in this tenant.').waitFor();
  await shot(page, 'exemption-errors', { fullPage: false });

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

  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  const log = page.getByRole('table', { name: 'Activity log' });
  const created = log.getByRole('row').filter({ hasText: 'exempted a user' }).filter({ hasText: username });
  await created.first().waitFor({ timeout: TIMEOUT });
  assert((await created.first().textContent())?.includes('admin'), 'the exemption is not attributed to admin');
  await shot(page, 'activity');

  await page.getByRole('link', { name: 'Exemptions', exact: true }).click();
  await page.getByRole('button', { name: `Remove the exemption of ${username}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove this exemption?' });
  await confirm.getByText(`${username} will be treated like everyone else again`).waitFor();
  await confirm.getByRole('button', { name: 'Remove exemption' }).click();
  await page.getByText(`The exemption of ${username} was removed.`).waitFor();
  await row.waitFor({ state: 'detached' });

  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  await log.getByRole('row').filter({ hasText: 'removed an exemption' }).filter({ hasText: username }).first().waitFor({ timeout: TIMEOUT });
});

test('a tenant admin never sees the operator console', async ({ page }) => {
  await loginAsAdmin(page);
  await page.goto(`${TENANT}/tenants`);
  await page.getByText('Page not found').waitFor();
  assert((await page.getByRole('heading', { name: 'Tenants' }).count()) === 0, 'tenant admin saw the tenants console');
  // Tenant credentials do not exist on the root host.
  const fresh = await page.context().newPage();
  await login(fresh, ROOT, creds.admin);
  await fresh.getByRole('alert').getByText('Wrong username or password.').waitFor();
});

test('a tenant member is told they need the tenant-admin or auditor role', async ({ page }) => {
  await login(page, TENANT, creds.member);
  await page.getByRole('heading', { name: 'You need the tenant-admin or auditor role' }).waitFor();
  await shot(page, 'member-forbidden');
});

test('an auditor reads the console and the policy, and the API refuses their write', async ({ page }) => {
  await login(page, TENANT, creds.auditor);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByText('Auditor · read-only').waitFor();
  await page.getByText('Only tenant admins can start a cleanup.', { exact: false }).waitFor();
  assert((await page.getByRole('button', { name: 'Run cleanup now' }).count()) === 0, 'an auditor was offered the run button');
  await page.getByRole('link', { name: 'Policy', exact: true }).click();
  await page.getByTestId('preview-headline').waitFor();
  assert((await page.getByRole('button', { name: 'Save policy' }).count()) === 0, 'an auditor was offered Save policy');
  await shot(page, 'auditor-policy');
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
  assert(refused === 403, `the auditor's PATCH answered ${refused}, not 403`);
});

test('an expired session returns to login with a message', async ({ page }) => {
  await loginAsAdmin(page);
  await page.evaluate(() => {
    for (const key of Object.keys(localStorage)) localStorage.setItem(key, JSON.stringify({ access: 'expired.token.x', refresh: 'expired.token.y' }));
  });
  await page.reload();
  await page.getByText('Your session expired, please log in again.').waitFor();
  await page.getByRole('heading', { name: 'Sign in to Acme Inc.' }).waitFor();
  await shot(page, 'session-expired');
});

test('keyboard only: sign in, open and dismiss the run dialog', async ({ page }) => {
  await page.goto(`${TENANT}/login`);
  await page.getByLabel('Username').waitFor();
  // The username field has focus on arrival.
  await page.keyboard.type(creds.admin.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(creds.admin.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  await runButton.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Run cleanup now?' });
  await dialog.waitFor();
  assert(await dialog.evaluate((node) => node.contains(document.activeElement)), 'focus did not move into the dialog');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert(await runButton.evaluate((node) => node === document.activeElement), 'focus did not return to the button');
});

test('the overview is readable at phone width', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await loginAsAdmin(page);
  await page.getByRole('region', { name: 'Users removed per run' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `page scrolls sideways by ${overflow}px at phone width`);
  await shot(page, 'overview-mobile');
});

// ---------------------------------------------------------------- oversight (globex)

test('tenant admin reactivates one account, then undoes the whole run', async ({ page }) => {
  await login(page, GLOBEX, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  // Run #1 is the seeded deactivation run that finished.
  await page.goto(`${GLOBEX}/reports/1`);
  await page.getByRole('heading', { level: 1, name: /Run #1/ }).waitFor();
  const audit = page.getByRole('table', { name: 'Audit list of run #1' });
  await audit.waitFor();

  const first = audit.getByRole('row').nth(1);
  const reactivate = first.getByRole('button', { name: /^Reactivate / });
  await reactivate.click();
  await first.getByText('Reactivated').waitFor({ timeout: TIMEOUT });
  await first.getByText(/by admin/).waitFor();
  await shot(page, 'audit-reactivated');

  const card = page.getByRole('region', { name: 'Undo this run' });
  await card.getByRole('button', { name: 'Undo this run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Undo run #1?' });
  const count = dialog.getByText(/^\d[\d,]* accounts? this run deactivated will be active again/);
  await count.waitFor({ timeout: TIMEOUT });
  const expected = Number((await count.textContent())?.match(/^[\d,]+/)?.[0].replace(/,/g, ''));
  // The one reactivated by hand is not counted again.
  await dialog.getByText('1 account active already.').waitFor();
  await shot(page, 'undo-confirmation', { fullPage: false });
  await dialog.getByRole('button', { name: /^Reactivate \d/ }).click();

  const done = card.getByRole('status');
  await done.waitFor({ timeout: TIMEOUT });
  const text = (await done.textContent()) ?? '';
  assert(text.includes(`Run #1 undone: ${expected.toLocaleString('en-US')} account`), `unexpected undo result: ${text}`);
  // Every row of the audit list now says it was reactivated.
  await audit
    .getByRole('button', { name: /^Reactivate / })
    .first()
    .waitFor({ state: 'detached', timeout: TIMEOUT });
  await shot(page, 'undo-done');
});

test('tenant admin answers a run that waits for approval', async ({ page }) => {
  await login(page, GLOBEX, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const banner = page.getByRole('region', { name: /is waiting for your approval/ });
  await banner.waitFor({ timeout: TIMEOUT });
  const text = (await banner.textContent()) ?? '';
  assert(/It would deactivate [\d,]+ users of [\d,]+ eligible \(\d/.test(text), `unexpected banner: ${text}`);
  await shot(page, 'approval-banner');

  // Rejecting says what it does; cancelled here, it sends nothing.
  await banner.getByRole('button', { name: 'Reject' }).click();
  const reject = page.getByRole('dialog', { name: /Reject run #\d+\?/ });
  await reject.getByText('The run ends as aborted and removes nobody.').waitFor();
  await reject.getByRole('button', { name: 'Cancel' }).click();
  await reject.waitFor({ state: 'detached' });

  await banner.getByRole('button', { name: 'Approve' }).click();
  const approve = page.getByRole('dialog', { name: /Approve run #\d+\?/ });
  await approve.getByText(/The run is queued again and will deactivate at most [\d,]+ users/).waitFor();
  await shot(page, 'approve-confirmation', { fullPage: false });
  await approve.getByRole('button', { name: 'Approve and run' }).click();
  await banner.waitFor({ state: 'detached', timeout: TIMEOUT });

  // The worker takes the approved run; its page says who approved it and the limit.
  // Scoped to the reports table: until the navigation lands, the page being left can show
  // its own link to the same run.
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await page.getByRole('table', { name: 'Cleanup reports' }).getByRole('link', { name: 'Run #2', exact: true }).click();
  await page.getByText(/Approved by admin on .*, to remove at most [\d,]+ users\./).waitFor({ timeout: TIMEOUT });
  await page
    .getByRole('heading', { level: 1, name: /Run #2/ })
    .getByText(/Succeeded|Aborted|Failed/)
    .waitFor({ timeout: 60_000 });
  await shot(page, 'approved-run');
});

// ---------------------------------------------------------------- operator

test('operator signs in, creates a tenant and triggers it', async ({ page }) => {
  await page.goto(`${ROOT}/`);
  await page.getByRole('heading', { name: 'Operator sign in' }).waitFor();
  await shot(page, 'login-operator');
  await login(page, ROOT, creds.operator);
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  await page.getByRole('table', { name: 'Tenants' }).waitFor();
  // The fleet at a glance, above the table: its figures and what needs attention.
  const figures = page.getByLabel('Fleet figures');
  await figures.waitFor({ timeout: TIMEOUT });
  const figure = async (/** @type {number} */ n) => Number((await figures.locator('.stat-value').nth(n).textContent())?.replace(/\D/g, ''));
  const tenantsBefore = await figure(0);
  const runsBefore = await figure(1);
  assert(tenantsBefore >= 2, `the summary counts ${tenantsBefore} tenants`);
  await page.getByRole('region', { name: 'Needs attention' }).waitFor();
  await shot(page, 'tenants');

  const stamp = Date.now().toString(36);
  const schema = `e2e_${stamp}`;
  await page.getByRole('button', { name: 'New tenant' }).click();
  const dialog = page.getByRole('dialog', { name: 'New tenant' });
  await dialog.getByRole('textbox', { name: 'Tenant name' }).fill(`E2E ${stamp}`);
  await dialog.getByRole('textbox', { name: 'Schema name' }).fill(schema);
  await dialog.getByRole('textbox', { name: 'Admin username' }).fill('boss');
  // An address that is none (its shape) and a weak password (a rule beyond it) first: the
  // API's 400 names both, beside their fields, after one submit.
  const email = dialog.getByRole('textbox', { name: 'Admin email' });
  await email.fill('not-an-email');
  await dialog.getByLabel('Admin password').fill('x');
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await dialog.getByText('Enter a valid email address.').waitFor({ timeout: TIMEOUT });
  await dialog.getByText(/This password is too short/).waitFor();
  assert((await dialog.getByLabel('Admin password').getAttribute('aria-invalid')) === 'true', 'the password is not flagged invalid');
  await shot(page, 'create-tenant-errors', { fullPage: false });
  await email.fill(`boss@${stamp}.example.com`);
  // A custom two-label domain, outside BASE_DOMAIN: nothing in its name says "tenant".
  const domain = `e2e-${stamp}.test`;
  await dialog.getByRole('textbox', { name: /Domain/ }).fill(domain);
  const password = `E2e-${stamp}-long-secret!`;
  await dialog.getByLabel('Admin password').fill(password);
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await page.getByText(`Tenant E2E ${stamp} created`).waitFor({ timeout: 30_000 });
  // Counted at once, well before the summary's own 15-second refresh.
  await page.waitForFunction(
    (tenants) => Number(document.querySelector('[aria-label="Fleet figures"] .stat-value')?.textContent?.replace(/\D/g, '')) === tenants + 1,
    tenantsBefore,
    { timeout: 5_000 },
  );

  // Its domain serves its own console: the login page names it, its admin signs in.
  const own = await page.context().newPage();
  const base = `http://${domain}:${port}`;
  await own.goto(`${base}/`);
  await own.getByRole('heading', { name: `Sign in to E2E ${stamp}` }).waitFor();
  await login(own, base, { username: 'boss', password });
  await own.getByRole('heading', { name: 'Overview' }).waitFor();
  await own.getByText(`E2E ${stamp}`).first().waitFor();
  await own.close();

  // However many tenants there are, a search finds it on the first page, and the URL keeps it.
  await page.getByRole('searchbox', { name: 'Search tenants' }).fill(schema);
  await page.waitForURL((url) => url.searchParams.get('search') === schema, { timeout: TIMEOUT });
  // The previous page stays on screen until the search's answers: wait for the count.
  await page.getByText('1 tenant', { exact: true }).waitFor({ timeout: TIMEOUT });
  const checkbox = page.getByRole('checkbox', { name: `Select E2E ${stamp}` });
  assert((await page.getByRole('table', { name: 'Tenants' }).getByRole('checkbox').count()) === 2, 'search left other tenants');
  await shot(page, 'tenants-search');
  await checkbox.check();
  await page.getByRole('button', { name: 'Trigger selected' }).click();
  const confirm = page.getByRole('dialog', { name: 'Run cleanup on selected tenants?' });
  await confirm.getByText(schema).waitFor();
  await confirm.getByRole('button', { name: /Start dry runs|Start cleanups/ }).click();
  const results = page.getByRole('list', { name: 'Trigger results' });
  await results.waitFor({ timeout: TIMEOUT });
  await results.getByText(schema).waitFor();
  assert((await results.getByText('queued').count()) === 1, `tenant was not queued: ${await results.textContent()}`);
  await shot(page, 'tenants-triggered');

  await results.getByRole('link', { name: schema }).click();
  await page.getByRole('heading', { name: `Reports for ${schema}` }).waitFor();
  await page.getByRole('table', { name: `Cleanup reports of ${schema}` }).waitFor({ timeout: TIMEOUT });
  await page
    .getByText(/Succeeded|Aborted|Running|Queued/)
    .first()
    .waitFor();
  await shot(page, 'tenant-reports');

  // Back on the console, the summary counts the new tenant and its finished run.
  await page.getByRole('link', { name: 'Tenants' }).first().click();
  await figures.waitFor({ timeout: TIMEOUT });
  await page.waitForFunction(
    ([tenants, runs]) => {
      const values = Array.from(document.querySelectorAll('[aria-label="Fleet figures"] .stat-value')).map((e) => Number(e.textContent.replace(/\D/g, '')));
      return values[0] === tenants + 1 && values[1] >= runs + 1;
    },
    [tenantsBefore, runsBefore],
    { timeout: 30_000 },
  );
  await shot(page, 'operators-console', { fullPage: false });
});

test("operator reads the operators' activity log", async ({ page }) => {
  await login(page, ROOT, creds.operator);
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  const log = page.getByRole('table', { name: 'Activity log' });
  await log.waitFor();
  // seed_demo created acme and globex; the operator test above created and triggered one more.
  await log.getByRole('link', { name: 'acme', exact: true }).waitFor();
  await log.getByText('created a tenant').first().waitFor();
  await log.getByText('started cleanups').first().waitFor();
  // No tenant's own actions here.
  assert((await log.getByText('exempted a user').count()) === 0, "a tenant's exemption shows in the operators' log");
  await shot(page, 'activity-operator');
});

test('operator console is unknown to a tenant host login', async ({ page }) => {
  await login(page, TENANT, creds.operator);
  await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
});

// ---------------------------------------------------------------- server pages

for (const [where, base] of [
  ['root', ROOT],
  ['tenant', TENANT],
]) {
  test(`Django admin's login and the API docs render on the ${where} host`, async ({ page }) => {
    await page.goto(`${base}/admin/login/`);
    await page.getByLabel(/Username/).waitFor();
    await page.getByLabel(/Password/).waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();

    // Swagger UI renders the document's title only when its script and styles load and run.
    await page.goto(`${base}/api/docs/`);
    await page.getByRole('heading', { name: /Cleanup console API/ }).waitFor();
  });
}

test('the Content-Security-Policy check notices a violation', async ({ page, csp }) => {
  // A page of our own making, answered by the browser itself (never the stack), whose
  // policy forbids its own inline script: proves the runner's check is live even while
  // the stack's pages cause no violation.
  const probe = 'http://csp-probe.test/';
  await page.route(probe, (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'Content-Security-Policy': "script-src 'self'" },
      body: '<!doctype html><title>probe</title><script>document.title = "ran"</script>',
    }),
  );
  const reported = page.waitForEvent('console', { predicate: (message) => CSP_VIOLATION.test(message.text()) });
  await page.goto(probe);
  await reported;
  assert(csp.length === 1, `expected the probe's one violation, got: ${csp.join('; ')}`);
  assert((await page.title()) === 'probe', 'the inline script ran despite the policy');
  // Expected here, so not this test's failure.
  csp.length = 0;
});

// ---------------------------------------------------------------- runner

async function main() {
  await mkdir(SHOTS, { recursive: true });
  await mkdir(FAILURES, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Every host name (acme.console.example.test, e2e-x.test) is the local stack.
      '--host-resolver-rules=MAP * 127.0.0.1',
    ],
  });
  const only = process.env.E2E_ONLY;
  let passed = 0;
  let failed = 0;
  for (const { name, fn } of tests) {
    if (only && !name.includes(only)) continue;
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    // From every page of the test, including the ones it opens itself.
    /** @type {string[]} */
    const pageErrors = [];
    /** @type {string[]} */
    const csp = [];
    context.on('weberror', (error) => pageErrors.push(error.error().message));
    context.on('console', (message) => {
      if (CSP_VIOLATION.test(message.text())) csp.push(`${message.page()?.url() ?? '?'}: ${message.text()}`);
    });
    const started = Date.now();
    try {
      await fn({ page, context, csp });
      assert(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join('; ')}`);
      assert(csp.length === 0, `Content-Security-Policy violations:\n${csp.join('\n')}`);
      passed += 1;
      console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed += 1;
      const message = error instanceof Error ? error.message : String(error);
      console.log(`  ✗ ${name} (${Date.now() - started} ms)\n      ${message.split('\n').join('\n      ')}`);
      const file = path.join(FAILURES, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
    } finally {
      await context.close();
    }
  }
  await browser.close();
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
});
