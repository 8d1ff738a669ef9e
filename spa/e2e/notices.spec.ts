/**
 * Notices people can trust: the keep link's page (a GET keeps nobody, its button does) and
 * the policy editor's warning-email section, each checked with axe.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectAccessible, loginAsAdmin, shot, test, TENANT } from './fixtures';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A user of acme warned 14 days ahead, and the keep link's token of their (sent) notice, as
 * the sender would have mailed it. Made in the stack's own database with its own key
 * (infra/e2e.sh exports both); the notice's report is dated long ago, so no other flow sees it.
 */
function warnedUserToken(username: string): string {
  const code = `
from datetime import timedelta
from django.utils import timezone
from django_tenants.utils import schema_context
from accounts.models import User
from cleanup.models import CleanupNotice, CleanupReport
from cleanup.services.keep import keep_token_make
from policy.rules import PolicySpec
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="acme")
now = timezone.now()
with schema_context("acme"):
    user, _ = User.objects.update_or_create(username="${username}", defaults={
        "email": "${username}@example.com", "first_name": "Kim", "is_active": True,
        "last_login": now - timedelta(days=100), "last_seen": None})
    report = CleanupReport.objects.create(status="succeeded", trigger="manual", dry_run=False,
        action="deactivate", policy=PolicySpec(dry_run=False).snapshot())
    CleanupReport.objects.filter(pk=report.pk).update(created_at=now - timedelta(days=3000))
    notice = CleanupNotice.objects.create(user_id=user.pk, email=user.email, report=report,
        due_at=now + timedelta(days=14), sent_at=now, status="sent")
    print(keep_token_make(tenant_pk=tenant.pk, user_id=user.pk, notice_id=notice.pk,
        expires_at=now + timedelta(days=21)))
`;
  const python = path.join(repo, '.venv/bin/python');
  const lines = execFileSync(python, ['manage.py', 'shell', '-c', code], { cwd: repo, encoding: 'utf8' }).trim().split('\n');
  const token = lines[lines.length - 1] ?? '';
  expect(token, 'no keep token was made').toMatch(/^[\w:.-]+$/);
  return token;
}

/** `method` on a path of acme's host from outside the browser (a mail scanner's fetch): to
 * 127.0.0.1 with the tenant's Host header, as only Chromium resolves the tenant's name. */
async function fetchAsScanner(request: APIRequestContext, method: 'get' | 'head' | 'post', pathname: string) {
  const url = new URL(`${TENANT}${pathname}`);
  const response = await request[method](`http://127.0.0.1:${url.port}${url.pathname}`, { headers: { Host: url.host } });
  return { status: response.status(), text: method === 'head' ? '' : await response.text() };
}

test('the keep link shows a page with one button; only the button keeps the account', async ({ page, request }) => {
  const token = warnedUserToken(`e2e-keep-${Date.now() % 100000}`);

  // What a mail scanner does: open the link, again and again, and HEAD it. Nothing is kept.
  for (let i = 0; i < 3; i++) expect((await fetchAsScanner(request, 'get', `/keep/${token}/`)).status).toBe(200);
  expect((await fetchAsScanner(request, 'head', `/keep/${token}/`)).status).toBe(200);

  // A link whose trailing slash a mail client lost still reaches the page.
  await page.goto(`${TENANT}/keep/${token}`);
  await page.getByRole('heading', { name: 'Keep your account?' }).waitFor();
  await expect(page.getByText(/will be deactivated on/)).toBeVisible();
  await shot(page, 'keep-page', { fullPage: false });
  await expectAccessible(page, 'keep-page');

  await page.getByRole('button', { name: 'Keep my account' }).click();
  await page.getByRole('heading', { name: 'Your account is kept' }).waitFor();
  await expectAccessible(page, 'keep-page-kept');

  // Once kept, the page says so and offers no button; posting again keeps nothing more.
  await page.goto(`${TENANT}/keep/${token}/`);
  await page.getByRole('heading', { name: 'Your account is already kept' }).waitFor();
  await expect(page.getByRole('button', { name: 'Keep my account' })).toHaveCount(0);
  const again = await fetchAsScanner(request, 'post', `/keep/${token}/`);
  expect(again.status).toBe(200);
  expect(again.text).toContain('already kept');

  // A bad token: the 400 page, on either method.
  expect((await fetchAsScanner(request, 'get', '/keep/not-a-token/')).status).toBe(400);
  expect((await fetchAsScanner(request, 'post', '/keep/not-a-token/')).status).toBe(400);
});

test('the policy editor writes the warning email in the tenant’s words, previews it and sends a test', async ({ page }) => {
  await loginAsAdmin(page);
  await page.getByRole('link', { name: 'Policy', exact: true }).click();
  await page.getByRole('heading', { name: 'Cleanup policy' }).waitFor();
  await page.getByRole('group', { name: 'The warning email' }).waitFor();

  await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
  await expect(page.getByTestId('notice-subject')).toHaveText(/Ihr Konto wird am .* deaktiviert/);

  await page.getByRole('textbox', { name: 'Text' }).fill('Hallo {first_name}, bitte behalten: {keep_url} {0.__class__}');
  await expect(page.getByText(/Unknown placeholder: \{0\.__class__\}/)).toBeVisible();
  await page.getByRole('textbox', { name: 'Text' }).fill('Hallo {first_name}, bitte behalten: {keep_url}');
  await expect(page.getByTestId('notice-text')).toHaveText(/^Hallo \S+, bitte behalten: http.*\/keep\/this-is-a-test\/$/);
  await expect(page.getByRole('radio', { name: /Keep them until the address is fixed/ })).toBeChecked();
  await expectAccessible(page, 'policy-notice');

  await page.getByRole('button', { name: 'Send me a test' }).click();
  await expect(page.getByText(/A test of this draft is on its way to/)).toBeVisible();
  await shot(page, 'policy-notice');

  // A draft is not saved.
  await page.getByRole('button', { name: 'Discard' }).click();
  await expect(page.getByRole('combobox', { name: 'Language' })).toHaveValue('en');
});
