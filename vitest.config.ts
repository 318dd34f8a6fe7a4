import { defineConfig } from 'vitest/config';

// Two projects: "unit" runs anywhere in seconds; "integration" runs against the real stack
// (Synapse, Postgres, LiveKit, our services) that tests/global-stack.ts starts with the same
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
          // A page waits for a homeserver round trip (its /sync) on a 2-core machine that also runs
          // the whole stack: expect.poll's default 1 s is too short for that under load (a room's
          // new name reached the staff client after more than 1 s once in CI). Waits that are not
          // about the stack's latency say so with their own timeout.
          expect: { poll: { timeout: 10_000 } },
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
