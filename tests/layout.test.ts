import { describe, expect, it } from 'vitest';
import { portBaseProblem, STACK_PORT_SPAN } from '../scripts/lib/stack/layout.ts';

describe('stack port bases', () => {
  const linux: [number, number] = [32768, 60999];
  it('accepts the bases of ours (developer 18000, tests 28000, smoke 8000)', () => {
    for (const base of [8000, 18000, 28000]) expect(portBaseProblem(base, linux)).toBeUndefined();
  });
  it('refuses a base whose ports overlap the ephemeral range, saying which to choose', () => {
    expect(portBaseProblem(38000, linux)).toMatch(/overlap the ephemeral port range 32768–60999.*from 1024 to 28768/);
    expect(portBaseProblem(32768 - STACK_PORT_SPAN + 1, linux)).toBeDefined();
    expect(portBaseProblem(32768 - STACK_PORT_SPAN, linux)).toBeUndefined();
    expect(portBaseProblem(61000, linux)).toBeUndefined();
  });
  it('has nothing to say where the range is unknown', () => {
    expect(portBaseProblem(38000, undefined)).toBeUndefined();
  });
});
