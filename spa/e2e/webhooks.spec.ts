import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect, expectAccessible, loginAsAdmin, shot, test, type Locator, type Page } from './fixtures';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on a free loopback port, answering 200 with a short body, keeping every request. */
async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('thanks from the e2e receiver');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { received, url: `http://127.0.0.1:${port}/hook`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Tab (as a person would, no click) until `target` has focus. */
async function tabTo(page: Page, target: Locator, max = 80) {
  await target.waitFor();
  for (let presses = 0; presses <= max; presses += 1) {
    if (await target.evaluate((node) => node === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${max} presses of Tab never reached ${target}`);
}

function idIn(text: string | null, pattern: RegExp): number {
  const id = Number(pattern.exec(text ?? '')?.[1]);
  if (!id) throw new Error(`no delivery id in ${text}`);
  return id;
}

/** A delivery's row, found by the button that expands it ("#12"). */
function deliveryRow(table: Locator, id: number): Locator {
  return table.getByRole('row').filter({ has: table.page().getByRole('button', { name: `#${id}`, exact: true }) });
}

/** What the receiving side's library makes of a request: the parsed body, or it throws. */
function verify(secret: string, request: Received): unknown {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
  // The base64 part is the key; without the prefix it works with every version of the library.
  return new Webhook(secret.replace(/^whsec_/, '')).verify(request.body, headers);
}

test('tenant admin registers a local receiver by keyboard, sends a test event, sees it delivered signed, rotates the secret', async ({ page }) => {
  const receiver = await startReceiver();
  try {
    await loginAsAdmin(page);
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();

    // By keyboard: open the dialog, a refused address first (the metadata address stays
    // refused even where private receivers are allowed), shown on the URL field.
    await tabTo(page, page.getByRole('button', { name: 'Add endpoint' }).first());
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    const url = dialog.getByRole('textbox', { name: 'URL' });
    await tabTo(page, url);
    await page.keyboard.type('https://169.254.169.254/latest/meta-data');
    await tabTo(page, dialog.getByRole('button', { name: 'Add endpoint' }));
    await page.keyboard.press('Enter');
    await expect(url).toHaveAttribute('aria-invalid', 'true');
    await expect(url).toHaveAccessibleDescription(/a webhook may only go to a public address/);
    await shot(page, 'webhook-refused-address', { fullPage: false });
    await expectAccessible(page, 'webhook-refused-address');

    await tabTo(page, url);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(receiver.url);
    // Not everything: untick "All events", tick one type (Space toggles a checkbox).
    await tabTo(page, dialog.getByRole('checkbox', { name: 'All events' }));
    await page.keyboard.press('Space');
    await tabTo(page, dialog.getByRole('checkbox', { name: /Users deleted/ }));
    await page.keyboard.press('Space');
    await tabTo(page, dialog.getByRole('textbox', { name: 'Description (optional)' }));
    await page.keyboard.type('e2e receiver');
    await tabTo(page, dialog.getByRole('button', { name: 'Add endpoint' }));
    await page.keyboard.press('Enter');

    const secretDialog = page.getByRole('dialog', { name: 'The endpoint’s signing secret' });
    await secretDialog.getByText('Copy it now: you will not see it again').waitFor();
    const secret = await secretDialog.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await secretDialog.getByRole('button', { name: 'Copy' }).click();
    // The stack runs on plain http under a .test name: no clipboard there, and the dialog says so.
    await expect(secretDialog.getByRole('status').filter({ hasText: /Copied|Could not copy/ })).toBeVisible();
    await expectAccessible(page, 'webhook-secret');
    await tabTo(page, secretDialog.getByRole('button', { name: 'Done' }));
    await page.keyboard.press('Enter');
    await secretDialog.waitFor({ state: 'detached' });
    await expect(page.locator('body'), 'the secret is still on the page').not.toContainText('whsec_');

    const row = page
      .getByRole('table', { name: 'Webhook endpoints' })
      .getByRole('row', { name: new RegExp(receiver.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
    await expect(row).toContainText('Users deleted');
    await expect(row).toContainText('Enabled');
    await shot(page, 'webhooks');
    await expectAccessible(page, 'webhooks');

    await tabTo(page, row.getByRole('link', { name: receiver.url }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Webhook endpoint' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Send a test event' }));
    await page.keyboard.press('Enter');
    const queued = page.getByText(/A test event is queued \(delivery #\d+\)/);
    const firstId = idIn(await queued.textContent(), /delivery #(\d+)/);

    // The webhooks worker delivers it; the page polls while it is pending.
    const deliveries = page.getByRole('table', { name: 'Deliveries, newest first' });
    const first = deliveryRow(deliveries, firstId);
    await expect(first).toContainText('Test event');
    await expect(first).toContainText('Delivered', { timeout: 30_000 });
    await expect(first).toContainText('200');

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    if (!request) throw new Error('the receiver got nothing');
    expect(request.path).toBe('/hook');
    expect(request.headers['webhook-id']).toMatch(/^msg_/);
    expect(request.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const event = verify(secret, request) as { type: string; data: { endpoint_id: number; requested_by: string } };
    expect(event.type).toBe('test');
    expect(event.data.requested_by).toBe('admin');

    // Its attempt, with the receiver's answer.
    await tabTo(page, first.getByRole('button', { name: `#${firstId}`, exact: true }));
    await page.keyboard.press('Enter');
    await page.getByText('thanks from the e2e receiver').waitFor();
    await shot(page, 'webhook-deliveries');
    await expectAccessible(page, 'webhook-deliveries');

    // Rotation: the next request carries both signatures; either secret verifies it.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('dialog', { name: 'The endpoint’s new signing secret' });
    const newSecret = await rotated.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(newSecret).not.toBe(secret);
    await rotated.getByRole('button', { name: 'Done' }).click();
    await page.getByText(/Still signs beside the new one until/).waitFor();

    // Replay the first delivery: the same event id again, signed with both secrets now.
    await first.getByRole('button', { name: `Replay delivery #${firstId}` }).click();
    const again = page.getByText(/is queued again as delivery #\d+, with the same event id/);
    const replayId = idIn(await again.textContent(), /as delivery #(\d+)/);
    await expect(deliveryRow(deliveries, replayId)).toContainText('Delivered', { timeout: 30_000 });
    expect(receiver.received).toHaveLength(2);
    const replayed = receiver.received[1];
    if (!replayed) throw new Error('the replay never arrived');
    expect(replayed.headers['webhook-id']).toBe(request.headers['webhook-id']);
    expect(String(replayed.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect((verify(newSecret, replayed) as { type: string }).type).toBe('test');
    expect((verify(secret, replayed) as { type: string }).type).toBe('test');
  } finally {
    await receiver.close();
  }
});
