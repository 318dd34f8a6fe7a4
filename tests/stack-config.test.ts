// The stack's state and the config it generates from it: a state.json written while Janus ran
// still loads, the generated config names LiveKit alone, and `--plane` is refused with the reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@foyer/config';
import { foyerConfig } from '../scripts/lib/stack/foyer.ts';
import { ROOT, stackLayout, tcpPorts } from '../scripts/lib/stack/layout.ts';
import { loadState } from '../scripts/lib/stack/state.ts';

const dir = mkdtempSync(join(tmpdir(), 'foyer-stack-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const l = stackLayout({ FOYER_STACK_DIR: dir, FOYER_PORT_BASE: '18000' });
const secret = (c: string) => c.repeat(43);

describe('a stack created while Janus ran', () => {
  it('loads, and its valid config has no Janus, no plane choice, and the media agent on its own range', () => {
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({
        db: 'embedded',
        plane: 'janus',
        callers: 'janus',
        serverName: 'localhost',
        dialInNumber: '+49 991 1234 166',
        secrets: {
          registrationShared: secret('r'),
          macaroon: secret('m'),
          form: secret('f'),
          internalApi: secret('i'),
          janusApi: secret('j'),
          janusAdmin: secret('a'),
          roomAdminKey: secret('k'),
          postgres: secret('p'),
          livekitKey: 'APIkey',
          livekitSecret: secret('s'),
          redis: secret('x'),
        },
        accounts: {},
      }),
    );
    const s = loadState(l);
    if (!s) throw new Error('the state did not load');
    expect(s.serverName).toBe('localhost');
    const config = foyerConfig(l, s);
    expect(() => parseConfig(config, l.configFile)).not.toThrow();
    const gateway = config.gateway as Record<string, unknown>;
    expect(gateway).not.toHaveProperty('janus');
    expect(gateway).not.toHaveProperty('media');
    expect(gateway.rtp).toEqual({ portMin: 21000, portMax: 21999 });
    expect(gateway.livekit).toMatchObject({
      url: 'ws://127.0.0.1:18070',
      apiKey: 'APIkey',
      agentPorts: { portMin: 20000, portMax: 20999 },
    });
  });
});

describe('the stack layout after Janus', () => {
  it('keeps every other port where it was and leaves Janus’s free', () => {
    expect(l.ports).toMatchObject({ synapse: 18008, postgres: 18032, sip: 18060, livekit: 18070, gateway: 18092 });
    expect(l.rtp).toEqual({ mediaAgent: [20000, 20999], gateway: [21000, 21999] });
    expect(tcpPorts(l)).not.toContain(18188);
    expect(tcpPorts(l)).not.toContain(18189);
  });
});

describe('scripts/stack --plane', () => {
  it('is refused, saying that Janus was retired, before anything starts', () => {
    for (const args of [
      ['up', '--plane', 'janus'],
      ['restart', 'sip-gateway', '--plane', 'livekit'],
    ]) {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts/lib/stack/main.ts'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, FOYER_STACK_DIR: dir, FOYER_PORT_BASE: '18000' },
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe('stack: --plane is gone: Janus was retired, LiveKit is the only media plane');
    }
  });
});
