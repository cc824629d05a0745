import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one closing line, `N passed, N failed`, after vitest's own report, so CI and people
 * read the same verdict. Unhandled errors and modules that failed to load count as failures.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let casesFailed = 0;
      for (const testCase of module.children.allTests()) {
        const state = testCase.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') casesFailed += 1;
        else skipped += 1;
      }
      // A file that fails outside any test (import error, failing hook) is a failure of its own.
      failed += casesFailed > 0 ? casesFailed : module.state() === 'failed' ? 1 : 0;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
