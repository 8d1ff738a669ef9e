import { expect } from '@playwright/test';
import { expectAccessible, loginAsAdmin, shot, test } from './fixtures';

test('tenant admin finds the SCIM base URL and how to connect Okta and Entra ID', async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Provisioning', exact: true }).click();
  await page.getByRole('heading', { name: 'Provisioning (SCIM)', level: 1 }).waitFor();
  const origin = new URL(page.url()).origin;
  await expect(page.getByTestId('scim-base-url')).toHaveText(`${origin}/scim/v2/`);
  await expect(page.getByRole('heading', { name: 'Okta' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Microsoft Entra ID' })).toBeVisible();
  // The address it shows answers SCIM (a 401 SCIM error without a token), asked from the
  // browser, which resolves the test's host names.
  const answer = await page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as { schemas: string[] } };
  }, `${origin}/scim/v2/ServiceProviderConfig`);
  expect(answer.status).toBe(401);
  expect(answer.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  await shot(page, 'provisioning');
  await expectAccessible(page, 'provisioning');
});
