// Each service, started with a broken config, stops with one line naming the key (exit code 2),
// before it listens on anything.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROOT } from './helpers/stack.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'foyer-badcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = {
  bridge: 'bridge/src/main.ts',
  'sip-gateway': 'sip-gateway/src/main.ts',
  web: 'client/server/main.ts',
};

function brokenConfig(mutate: (c: Record<string, Record<string, unknown>>) => void): string {
  const c = parse(readFileSync(join(ROOT, 'config', 'foyer.sample.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  mutate(c);
  const file = join(dir, `cfg-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(c));
  return file;
}

async function start(entry: string, config: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [join(ROOT, entry), '--config', config], { timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe.each(Object.entries(entries))('%s refuses broken config', (name, entry) => {
  it('an unknown key', async () => {
    const r = await start(
      entry,
      brokenConfig((c) => (c.web = { ...c.web, colour: 'blue' })),
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^${name}: config error: .*web: unknown key "colour"$`));
  });

  it('a wrong type', async () => {
    const r = await start(
      entry,
      brokenConfig((c) => ((c.bridge as { listen: { port: unknown } }).listen.port = 'nine')),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bridge\.listen\.port: .*expected number/);
  });

  it('a missing secret', async () => {
    const r = await start(
      entry,
      brokenConfig((c) => delete (c.gateway as { livekit: Record<string, unknown> }).livekit.apiSecret),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gateway.livekit.apiSecret: required');
  });

  it('a file that is not YAML, or is missing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'homeserver: [unclosed\n');
    expect((await start(entry, bad)).stderr).toMatch(/not valid YAML/);
    const missing = await start(entry, join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read (ENOENT)');
  });
});
