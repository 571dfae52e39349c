import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests start servers and child processes; two workers fit this 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
