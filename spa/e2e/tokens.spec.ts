import { request as playwrightRequest, type APIRequestContext } from '@playwright/test';
import { BASE_DOMAIN, expect, expectAccessible, loginAsAdmin, PORT, shot, test, type Locator, type Page } from './fixtures';

/**
 * A script's view of the API: Playwright's request context, not the browser. Chromium maps
 * every name to 127.0.0.1; Node does not, so the script calls 127.0.0.1 and names acme's
 * host in the Host header, as a proxy in front of the stack would.
 */
async function scriptWithToken(token: string): Promise<APIRequestContext> {
  return playwrightRequest.newContext({
    baseURL: `http://127.0.0.1:${PORT}`,
    extraHTTPHeaders: { Host: `acme.${BASE_DOMAIN}:${PORT}`, Authorization: `Bearer ${token}`, Accept: 'application/json' },
  });
}

/** Tab (never click) until `target` has focus. */
async function tabTo(page: Page, target: Locator, max = 60) {
  await target.waitFor();
  for (let presses = 0; presses <= max; presses += 1) {
    if (await target.evaluate((node) => node === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${max} presses of Tab never reached ${target}`);
}

/** The secret the dialog shows once, read from its field; the dialog then closed by keyboard. */
async function readSecretAndClose(page: Page, name: string): Promise<string> {
  const shown = page.getByRole('dialog', { name: 'Copy your new API token' });
  const field = shown.getByRole('textbox', { name: `API token “${name}”` });
  await expect(field, 'the secret field is not focused for Ctrl+C').toBeFocused();
  const token = await field.inputValue();
  expect(token).toMatch(/^cc_[A-Za-z0-9]{8}_\S+$/);
  await shown.getByText('You will not see this token again').waitFor();
  await tabTo(page, shown.getByRole('button', { name: 'Copy' }));
  await page.keyboard.press('Enter');
  // The e2e hosts are plain http: no Clipboard API there, so the page says how to copy by hand.
  await expect(shown.getByRole('status')).toHaveText(/Copied to the clipboard|press Ctrl\+C/);
  await shot(page, 'api-token-created', { fullPage: false });
  await expectAccessible(page, 'api-token-created');
  await tabTo(page, shown.getByRole('button', { name: 'Done' }));
  await page.keyboard.press('Enter');
  await shown.waitFor({ state: 'detached' });
  await expect(page.getByText(token), 'the secret is still on the page').toHaveCount(0);
  return token;
}

test('a tenant admin makes a token by keyboard, a script uses it, and revoking it shuts the script out', async ({ page }) => {
  const name = `Export ${Date.now()}`;
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'API tokens', exact: true }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();

  await tabTo(page, page.getByRole('button', { name: 'Create token' }).first());
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Create an API token' });
  await tabTo(page, dialog.getByRole('textbox', { name: 'Name' }));
  await page.keyboard.type(name);
  await tabTo(page, dialog.getByRole('checkbox', { name: /reports:read/ }));
  await page.keyboard.press('Space');
  await expect(dialog.getByRole('checkbox', { name: /reports:read/ })).toBeChecked();
  await expect(dialog.getByRole('spinbutton', { name: 'Expires in (days)' })).toHaveValue('90');
  await shot(page, 'api-token-create', { fullPage: false });
  await expectAccessible(page, 'api-token-create');
  await tabTo(page, dialog.getByRole('button', { name: 'Create token' }));
  await page.keyboard.press('Enter');
  const token = await readSecretAndClose(page, name);

  const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row', { name: new RegExp(name) });
  await row.getByText('never').waitFor();
  await shot(page, 'api-tokens');
  await expectAccessible(page, 'api-tokens');

  const script = await scriptWithToken(token);
  try {
    const reports = await script.get('/api/reports/');
    expect(reports.status(), await reports.text()).toBe(200);
    // Its one scope: the policy needs another, and the 403 names it.
    const policy = await script.get('/api/cleanup/policy/');
    expect(policy.status()).toBe(403);
    expect(await policy.text()).toContain('policy:read');

    await page.reload();
    await row.getByText(/ago|now/).waitFor();

    await page.getByRole('button', { name: `Revoke the token ${name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Revoke the token “${name}”?` });
    await confirm.getByText(/is refused from now on/).waitFor();
    await expectAccessible(page, 'revoke-token-confirmation');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText(`The token “${name}” was revoked.`).waitFor();
    await row.getByText('Revoked').waitFor();

    expect((await script.get('/api/reports/')).status()).toBe(401);
  } finally {
    await script.dispose();
  }
});

test('a tenant admin makes a service account and a token for it, then deletes the account and its token dies', async ({ page }) => {
  const username = `bot-${Date.now()}`;
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
  await page.getByRole('heading', { name: 'Service accounts' }).waitFor();

  await page.getByRole('button', { name: 'Create service account' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create a service account' });
  await dialog.getByRole('textbox', { name: 'Username' }).fill('not a username');
  await dialog.getByRole('button', { name: 'Create service account' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Username' })).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByRole('textbox', { name: 'Username' }).fill(username);
  await dialog.getByRole('textbox', { name: 'Name (optional)' }).fill('Nightly export job');
  await dialog.getByRole('button', { name: 'Create service account' }).click();
  await page.getByText(`The service account ${username} was created.`).waitFor();
  const row = page.getByRole('table', { name: 'Service accounts' }).getByRole('row', { name: new RegExp(username) });
  await row.waitFor();
  await shot(page, 'service-accounts');
  await expectAccessible(page, 'service-accounts');

  await row.getByRole('link', { name: `Create a token for ${username}` }).click();
  const create = page.getByRole('dialog', { name: 'Create an API token' });
  await expect(create.getByRole('combobox', { name: 'Owner' })).toHaveValue(username);
  await create.getByRole('textbox', { name: 'Name' }).fill('Bot export');
  await create.getByRole('checkbox', { name: /reports:read/ }).check();
  await create.getByRole('button', { name: 'Create token' }).click();
  const token = await readSecretAndClose(page, 'Bot export');
  const tokenRow = page
    .getByRole('table', { name: 'API tokens' })
    .getByRole('row', { name: /Bot export/ })
    .filter({ hasText: username });
  await tokenRow.getByText('service account').waitFor();

  const script = await scriptWithToken(token);
  try {
    expect((await script.get('/api/reports/')).status()).toBe(200);

    await page.getByRole('link', { name: 'Service accounts', exact: true }).click();
    await row.getByRole('cell', { name: '1', exact: true }).waitFor();
    await row.getByRole('button', { name: `Delete ${username}` }).click();
    const confirm = page.getByRole('dialog', { name: `Delete the service account ${username}?` });
    await confirm.getByText('Its tokens die with it').waitFor();
    await expectAccessible(page, 'delete-service-account-confirmation');
    await confirm.getByRole('button', { name: 'Delete service account' }).click();
    await page.getByText(`The service account ${username} and its tokens were deleted.`).waitFor();
    await row.waitFor({ state: 'detached' });

    expect((await script.get('/api/reports/')).status()).toBe(401);
  } finally {
    await script.dispose();
  }
});
