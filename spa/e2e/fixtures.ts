/**
 * What every spec shares: the stack's addresses, the demo's logins, sign-in, the README's
 * screenshots, the accessibility check, and a `test` whose every page is watched for
 * Content-Security-Policy violations and uncaught errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Locator, type Page, type PageScreenshotOptions } from '@playwright/test';

export { expect };
export type { Locator, Page };

const here = path.dirname(fileURLToPath(import.meta.url));
export const PORT = process.env.E2E_BASE_PORT ?? '8000';
export const BASE_DOMAIN = process.env.E2E_BASE_DOMAIN ?? 'localhost';
/** The operators' console. */
export const ROOT = `http://${BASE_DOMAIN}:${PORT}`;
export const TENANT = `http://acme.${BASE_DOMAIN}:${PORT}`;
/** Seeded with a finished run to undo and a run awaiting approval (seed_demo --oversight). */
export const GLOBEX = `http://globex.${BASE_DOMAIN}:${PORT}`;
/** Seeded like globex, for the keyboard-only flow alone. */
export const INITECH = `http://initech.${BASE_DOMAIN}:${PORT}`;
const SHOTS = path.resolve(here, process.env.E2E_SCREENSHOTS ?? '../../docs/screenshots');
/** Every page's accessibility findings, whatever their impact (the test fails on the serious ones). */
const AXE_REPORTS = path.resolve(here, 'output', 'axe');

export interface Credentials {
  username: string;
  password: string;
}

export const creds = {
  admin: { username: 'admin', password: 'admin-pass' },
  member: { username: 'member', password: 'member-pass' },
  auditor: { username: 'auditor', password: 'auditor-pass' },
  operator: { username: 'operator', password: 'operator-pass' },
} satisfies Record<string, Credentials>;

// Chromium reports every blocked load or inline script/style in the console:
// "Refused to … because it violates the following Content Security Policy directive: …"
// ("[Report Only] Refused …" under Content-Security-Policy-Report-Only).
export const CSP_VIOLATION = /violates the following Content Security Policy directive/;

interface Watch {
  /** The CSP violations reported so far by any page of the test (a test that expects one empties it). */
  csp: string[];
}

export const test = base.extend<Watch>({
  // From every page of the test, including the ones it opens itself; checked after the test.
  csp: [
    async ({ context }, use) => {
      const pageErrors: string[] = [];
      const csp: string[] = [];
      context.on('weberror', (error) => pageErrors.push(error.error().message));
      context.on('console', (message) => {
        if (CSP_VIOLATION.test(message.text())) csp.push(`${message.page()?.url() ?? '?'}: ${message.text()}`);
      });
      await use(csp);
      expect(pageErrors, 'uncaught page errors').toEqual([]);
      expect(csp, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

/**
 * A screenshot for the README. A full-page one is taken from the top with the page's sticky
 * parts (header, preview card) un-stuck by the `capture-full-page` class (styles.css):
 * stuck, they are drawn wherever the page was scrolled to, mid-page.
 */
export async function shot(page: Page, name: string, options: PageScreenshotOptions = {}) {
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
 * The page as it stands once its animations have run, checked with axe-core: no serious or
 * critical violation. Every finding, whatever its impact, is saved under
 * e2e/output/axe/<name>.json and attached to the test.
 */
export async function expectAccessible(page: Page, name: string) {
  // Settled first: a dialog fading in is drawn half-transparent, its colours blended with
  // the page behind (a contrast failure that is only a frame). Spinners never end: not waited for.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => Number.isFinite(Number(animation.effect?.getComputedTiming().endTime)))
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
  const started = Date.now();
  const results = await new AxeBuilder({ page }).analyze();
  const ms = Date.now() - started;
  const findings = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })),
  }));
  await mkdir(AXE_REPORTS, { recursive: true });
  const body = JSON.stringify({ page: name, url: page.url(), ms, violations: findings }, null, 2);
  await writeFile(path.join(AXE_REPORTS, `${name}.json`), body);
  await test.info().attach(`axe-${name}`, { body, contentType: 'application/json' });
  const serious = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
  expect(serious, `serious or critical accessibility violations on ${name}`).toEqual([]);
}

/**
 * Click a switch where a part of it (its track, its label) is drawn: a real click at that
 * point, which Playwright makes only once the switch is still and only if that point
 * belongs to the switch's control itself (were another element on top, it would refuse).
 * The part's offset from the control is measured in one frame, so it holds while a dialog
 * is still settling.
 */
export async function clickSwitchAt(control: Locator, part: '.switch-track' | '.switch-label') {
  const position = await control.evaluate((input, selector) => {
    const own = input.getBoundingClientRect();
    const drawn = input.closest('.switch')?.querySelector(selector)?.getBoundingClientRect();
    if (!drawn) throw new Error(`the switch has no ${selector}`);
    return { x: drawn.x + drawn.width / 2 - own.x, y: drawn.y + drawn.height / 2 - own.y };
  }, part);
  await control.click({ position });
}

export async function login(page: Page, base: string, { username, password }: Credentials) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function loginAsAdmin(page: Page, base = TENANT) {
  await login(page, base, creds.admin);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** The run button once it can be pressed: a previous run (scheduled or manual) may still be in flight. */
export async function enabledRunButton(page: Page): Promise<Locator> {
  const runButton = page.getByRole('button', { name: 'Run cleanup now' });
  await runButton.and(page.locator(':enabled')).waitFor({ timeout: 60_000 });
  return runButton;
}

/** A number as the dashboard writes it ("1,234"). */
export const parseCount = (text: string | null | undefined) => Number((text ?? '').replace(/\D/g, ''));
