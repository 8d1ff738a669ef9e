import { creds, expect, expectAccessible, login, parseCount, PORT, ROOT, shot, test } from './fixtures';

// The activity log's test reads what the first test did: in this order, and the second
// skipped when the first fails.
test.describe.serial("operators' console", () => {
  test('operator signs in, creates a tenant and triggers it', async ({ page }) => {
    await page.goto(`${ROOT}/`);
    await page.getByRole('heading', { name: 'Operator sign in' }).waitFor();
    await shot(page, 'login-operator');
    await expectAccessible(page, 'login-operator');
    await login(page, ROOT, creds.operator);
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('table', { name: 'Tenants' }).waitFor();
    // The fleet at a glance, above the table: its figures and what needs attention.
    const figures = page.getByLabel('Fleet figures');
    await figures.waitFor();
    const figure = async (n: number) => parseCount(await figures.locator('.stat-value').nth(n).textContent());
    const tenantsBefore = await figure(0);
    const runsBefore = await figure(1);
    expect(tenantsBefore, 'the tenants the summary counts').toBeGreaterThanOrEqual(2);
    await page.getByRole('region', { name: 'Needs attention' }).waitFor();
    await shot(page, 'tenants');
    await expectAccessible(page, 'tenants');

    const stamp = Date.now().toString(36);
    const schema = `e2e_${stamp}`;
    await page.getByRole('button', { name: 'New tenant' }).click();
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    await dialog.getByRole('textbox', { name: 'Tenant name' }).fill(`E2E ${stamp}`);
    await dialog.getByRole('textbox', { name: 'Schema name' }).fill(schema);
    await dialog.getByRole('textbox', { name: 'Admin username' }).fill('boss');
    await expectAccessible(page, 'create-tenant');
    // An address that is none (its shape) and a weak password (a rule beyond it) first: the
    // API's 400 names both, beside their fields, after one submit.
    const email = dialog.getByRole('textbox', { name: 'Admin email' });
    await email.fill('not-an-email');
    await dialog.getByLabel('Admin password').fill('x');
    await dialog.getByRole('button', { name: 'Create tenant' }).click();
    await dialog.getByText('Enter a valid email address.').waitFor();
    await dialog.getByText(/This password is too short/).waitFor();
    await expect(dialog.getByLabel('Admin password'), 'the password is not flagged invalid').toHaveAttribute('aria-invalid', 'true');
    await shot(page, 'create-tenant-errors', { fullPage: false });
    await expectAccessible(page, 'create-tenant-errors');
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
    const base = `http://${domain}:${PORT}`;
    await own.goto(`${base}/`);
    await own.getByRole('heading', { name: `Sign in to E2E ${stamp}` }).waitFor();
    await login(own, base, { username: 'boss', password });
    await own.getByRole('heading', { name: 'Overview' }).waitFor();
    await own.getByText(`E2E ${stamp}`).first().waitFor();
    await own.close();

    // However many tenants there are, a search finds it on the first page, and the URL keeps it.
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(schema);
    await page.waitForURL((url) => url.searchParams.get('search') === schema);
    // The previous page stays on screen until the search's answers: wait for the count.
    await page.getByText('1 tenant', { exact: true }).waitFor();
    const checkbox = page.getByRole('checkbox', { name: `Select E2E ${stamp}` });
    await expect(page.getByRole('table', { name: 'Tenants' }).getByRole('checkbox'), 'search left other tenants').toHaveCount(2);
    await shot(page, 'tenants-search');
    await checkbox.check();
    await page.getByRole('button', { name: 'Trigger selected' }).click();
    const confirm = page.getByRole('dialog', { name: 'Run cleanup on selected tenants?' });
    await confirm.getByText(schema).waitFor();
    await expectAccessible(page, 'trigger-confirmation');
    await confirm.getByRole('button', { name: /Start dry runs|Start cleanups/ }).click();
    const results = page.getByRole('list', { name: 'Trigger results' });
    await results.waitFor();
    await results.getByText(schema).waitFor();
    // Queued, then (the trigger's handle polled) running and succeeded as the worker takes it.
    await expect(results.getByText(/^(queued|running|succeeded)$/i), 'tenant was not queued').toHaveCount(1);
    await shot(page, 'tenants-triggered');
    await expectAccessible(page, 'tenants-triggered');

    await results.getByRole('link', { name: schema }).click();
    await page.getByRole('heading', { name: `Reports for ${schema}` }).waitFor();
    await page.getByRole('table', { name: `Cleanup reports of ${schema}` }).waitFor();
    await page
      .getByText(/Succeeded|Aborted|Running|Queued/)
      .first()
      .waitFor();
    await shot(page, 'tenant-reports');
    await expectAccessible(page, 'tenant-reports');

    // Back on the console, the summary counts the new tenant and its finished run.
    await page.getByRole('link', { name: 'Tenants' }).first().click();
    await figures.waitFor();
    await page.waitForFunction(
      ([tenants, runs]) => {
        const values = Array.from(document.querySelectorAll('[aria-label="Fleet figures"] .stat-value')).map((e) => Number(e.textContent?.replace(/\D/g, '')));
        return values[0] === tenants + 1 && (values[1] ?? 0) >= runs + 1;
      },
      [tenantsBefore, runsBefore] as const,
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
    // seed_demo created acme and globex; the test above created and triggered one more.
    await log.getByRole('link', { name: 'acme', exact: true }).waitFor();
    await log.getByText('created a tenant').first().waitFor();
    await log.getByText('started cleanups').first().waitFor();
    // No tenant's own actions here.
    await expect(log.getByText('exempted a user'), "a tenant's exemption shows in the operators' log").toHaveCount(0);
    await shot(page, 'activity-operator');
    await expectAccessible(page, 'activity-operator');
  });
});
