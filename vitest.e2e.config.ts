import { defineConfig } from 'vitest/config';

/** The Docker chaos suites (`npm run e2e`): one 16-node network at a time on a 2-core machine. */
export default defineConfig({
  test: {
    include: ['suites/e2e/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test-infra/report/summary-reporter.ts'],
  },
});
