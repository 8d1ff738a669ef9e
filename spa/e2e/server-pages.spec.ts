import { CSP_VIOLATION, expect, ROOT, TENANT, test } from './fixtures';

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
  // policy forbids its own inline script: proves the fixture's check is live even while
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
  expect(csp, "expected the probe's one violation").toHaveLength(1);
  expect(await page.title(), 'the inline script ran despite the policy').toBe('probe');
  // Expected here, so not this test's failure.
  csp.length = 0;
});
