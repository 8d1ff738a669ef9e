import { expectAccessible, loginAsAdmin, test } from './fixtures';

test("tenant admin reads the tenant's activity log", async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  await page.getByRole('heading', { name: 'Activity' }).waitFor();
  const log = page.getByRole('table', { name: 'Activity log' });
  // seed_demo put acme on a 15-minute schedule: the log says so, and who did it.
  await log.getByRole('row').filter({ hasText: 'changed the policy' }).filter({ hasText: '*/15 * * * *' }).first().waitFor();
  await expectAccessible(page, 'activity');
});
