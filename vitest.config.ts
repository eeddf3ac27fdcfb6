import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts Kafka and Redis when they do not answer, and stops them after the run (VIGIL_TEST_SERVICES=external: never).
    globalSetup: ['test/setup/services.ts'],
    // Two cores on CI: keep the pool small so integration tests with real services do not starve.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
