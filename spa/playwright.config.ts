/**
 * End-to-end flows in Debian's Chromium (no browser download) against the real stack:
 * web + worker + beat, seeded with `manage.py seed_demo --oversight`. infra/e2e.sh starts
 * one and runs these; see README.md for the environment they read.
 */
import { defineConfig } from '@playwright/test';

const only = process.env.E2E_ONLY;

export default defineConfig({
  testDir: './e2e',
  outputDir: './e2e/output',
  // One seeded stack for every flow: one browser at a time, each file in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  // The plain "N passed, N failed" line closes the output, after the list reporter's summary.
  reporter: [['list'], ['./e2e/summary-reporter.ts']],
  ...(only ? { grep: new RegExp(only.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) } : {}),
  use: {
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
    locale: 'en-US',
    timezoneId: 'UTC',
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: process.env.E2E_TRACE ? 'retain-on-failure' : 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
    },
  },
});
