import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocol/**/*.test.ts',
      'stubs/**/*.test.ts',
      'reference-node/**/*.test.ts',
      'test-infra/**/*.test.ts',
      'suites/**/*.test.ts',
    ],
    exclude: ['suites/e2e/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One file at a time: on a 2-core host, Docker networks, database servers and node processes
    // of several files at once starve each other's timers.
    fileParallelism: false,
    reporters: ['default', './test-infra/report/summary-reporter.ts'],
  },
});
