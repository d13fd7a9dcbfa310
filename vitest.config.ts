import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Decoder tests are CPU-bound; two cores on the reference machine.
    maxWorkers: 2,
  },
});
