import { defineConfig } from 'vitest/config';

// Workspace packages are consumed as TypeScript source (their `exports` point at src/),
// so no build step sits between a change and a test.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        // The console's component tests: React in jsdom, against a real config-api in process.
        test: {
          name: 'console',
          include: ['apps/console/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          globalSetup: ['./apps/console/src/test-api.global.ts'],
          setupFiles: ['./apps/console/src/test-setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts', 'apps/*/e2e/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration files share one Kafka broker and one MongoDB server; they isolate by
          // unique topic, group and database names, but run one file at a time to keep
          // a 2-core machine from starving the broker.
          fileParallelism: false,
        },
      },
    ],
  },
});
