// Starts the integration tests' own stack (real Postgres, as CI must exercise it, and a partner
// homeserver federating with ours) from a clean folder, and stops it afterwards, with the same
// scripts/stack a developer uses.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, runStack, TEST_BOT_LOCALPART, TEST_MAX_GUESTS } from './helpers/stack.ts';

// FOYER_TEST_STACK_DIR and FOYER_TEST_PORT_BASE let two test runs share a machine.
const dir = join(ROOT, process.env.FOYER_TEST_STACK_DIR ?? '.stack-test');
const portBase = process.env.FOYER_TEST_PORT_BASE ?? '28000';
const env = {
  ...process.env,
  FOYER_STACK_DIR: dir,
  FOYER_PORT_BASE: portBase,
  FOYER_MAX_GUESTS: String(TEST_MAX_GUESTS),
  // A bot localpart other than the default, so no test (nor client) can rely on "@foyer:".
  FOYER_BOT_LOCALPART: TEST_BOT_LOCALPART,
};

export async function setup(project: TestProject): Promise<void> {
  await runStack(['reset'], env);
  // --partner: a second homeserver federating with ours (tests/federation.int.test.ts).
  const up = await runStack(['up', '--db', 'postgres', '--partner'], env);
  if (up.code !== 0) {
    await runStack(['down'], env);
    throw new Error(`the test stack did not start:\n${up.stdout}\n${up.stderr}`);
  }
  project.provide('stackDir', dir);
  project.provide('stackPortBase', portBase);
}

export async function teardown(): Promise<void> {
  const down = await runStack(['down'], env);
  if (down.code !== 0) throw new Error(`stopping the test stack failed:\n${down.stderr}`);
}
