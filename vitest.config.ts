import { defineConfig } from 'vitest/config';

// Two projects: "unit" runs anywhere in seconds; "integration" runs against the real stack
// (Synapse, Postgres, Janus, our services) that tests/global-stack.ts starts with the same
// scripts/stack a developer uses, in its own folder and ports.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/test/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['tests/global-stack.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
