import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/**
 * Closes the output with one plain line, "N passed, N failed" (", N skipped" when any),
 * the line the project's CI reads, after the list reporter's own summary.
 */
export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped = 0;

  onTestEnd(test: TestCase, result: TestResult) {
    // Counted once each, by its final result (retries are off, but a retry is not a test).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.passed += 1;
    else if (result.status === 'skipped') this.skipped += 1;
    else this.failed += 1;
  }

  onEnd(result: FullResult) {
    // Interrupted or timed out before any test ended, the run still failed.
    const failed = this.failed || (result.status === 'passed' ? 0 : 1);
    const skipped = this.skipped ? `, ${this.skipped} skipped` : '';
    process.stdout.write(`\n${this.passed} passed, ${failed} failed${skipped}\n`);
  }

  printsToStdio() {
    return true;
  }
}
