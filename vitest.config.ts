import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts Kafka and Redis when they do not answer, and stops them after the run (VIGIL_TEST_SERVICES=external: never).
    globalSetup: ['test/setup/services.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**'],
          // Two cores on CI: keep the pool small so integration tests with real services do not starve.
          maxWorkers: 2,
        },
      },
      {
        // The fault tests run real `vigil serve` processes through kills and outages; beside the rest of the suite
        // they starve for CPU (a kill test's restarts took minutes on a loaded CI machine). They run after it, two at a
        // time: the webhook outage test mostly waits out its receiver's two minutes.
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
