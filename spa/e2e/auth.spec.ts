import { creds, expect, expectAccessible, login, loginAsAdmin, ROOT, shot, TENANT, test } from './fixtures';

test('tenant admin signs in on acme and sees the overview', async ({ page }) => {
  await page.goto(`${TENANT}/`);
  // The tenant's name (seed_demo: "Acme Inc."), from the config the server injects.
  await page.getByRole('heading', { name: 'Sign in to Acme Inc.' }).waitFor();
  await shot(page, 'login-tenant');
  await expectAccessible(page, 'login-tenant');
  // Every blank field is named at once, and nothing is sent.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Enter your username.').waitFor();
  await page.getByText('Enter your password.').waitFor();
  await expectAccessible(page, 'login-tenant-errors');
  await login(page, TENANT, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('region', { name: 'Schedule & policy' }).getByText('Next scheduled run').waitFor();
  await page.getByText('Acme', { exact: false }).first().waitFor();
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

test('a tenant admin never sees the operator console', async ({ page }) => {
  await loginAsAdmin(page);
  await page.goto(`${TENANT}/tenants`);
  await page.getByText('Page not found').waitFor();
  await expect(page.getByRole('heading', { name: 'Tenants' }), 'tenant admin saw the tenants console').toHaveCount(0);
  await expectAccessible(page, 'not-found');
  // Tenant credentials do not exist on the root host.
  const fresh = await page.context().newPage();
  await login(fresh, ROOT, creds.admin);
  await fresh.getByRole('alert').getByText('Wrong username or password.').waitFor();
});

test('operator console is unknown to a tenant host login', async ({ page }) => {
  await login(page, TENANT, creds.operator);
  await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
});
