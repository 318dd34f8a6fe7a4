// Where a local stack lives and which loopback ports it uses. Every port derives from one base,
// so a developer's stack (.stack, base 18000) and the test suite's (another dir and base) run
// side by side without clashing.
import { join, resolve } from 'node:path';

export type DbMode = 'postgres' | 'embedded';

export interface StackLayout {
  root: string;
  dir: string;
  logs: string;
  run: string;
  host: '127.0.0.1';
  portBase: number;
  ports: {
    synapse: number;
    /** Partner mode only: the TLS federation listener of our Synapse (also its server name's port). */
    synapseFederation: number;
    /** Partner mode only: the second Synapse's plain client API and its TLS federation listener. */
    partnerSynapse: number;
    partnerFederation: number;
    postgres: number;
    janus: number;
    janusAdmin: number;
    appservice: number;
    bridgeApi: number;
    gateway: number;
    sip: number;
    web: number;
  };
  /** UDP ranges: Janus ICE (browsers), AudioBridge plain RTP (its own range), gateway relay. */
  rtp: { janusIce: [number, number]; audioBridge: [number, number]; gateway: [number, number] };
  configFile: string;
  registrationFile: string;
  stackJson: string;
  /** The stack's own certificate authority and the federation certificates it signs. */
  tlsDir: string;
  /** The gateway's licence cap for web guests (FOYER_MAX_GUESTS; the tests use a small one). */
  maxGuests: number;
}

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export function stackLayout(env: NodeJS.ProcessEnv = process.env): StackLayout {
  const dir = resolve(ROOT, env.FOYER_STACK_DIR ?? '.stack');
  const portBase = Number(env.FOYER_PORT_BASE ?? 18000);
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 61000) {
    throw new Error(`FOYER_PORT_BASE must be a whole number from 1024 to 61000, got "${env.FOYER_PORT_BASE}"`);
  }
  const maxGuests = Number(env.FOYER_MAX_GUESTS ?? 25);
  if (!Number.isInteger(maxGuests) || maxGuests < 0) {
    throw new Error(`FOYER_MAX_GUESTS must be a whole number, got "${env.FOYER_MAX_GUESTS}"`);
  }
  const p = (offset: number) => portBase + offset;
  const isDefaultDir = dir === resolve(ROOT, '.stack');
  return {
    root: ROOT,
    dir,
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
    host: '127.0.0.1',
    portBase,
    ports: {
      synapse: p(8),
      synapseFederation: p(48),
      partnerSynapse: p(9),
      partnerFederation: p(49),
      postgres: p(32),
      janus: p(188),
      janusAdmin: p(189),
      appservice: p(90),
      bridgeApi: p(91),
      gateway: p(92),
      sip: p(60),
      web: p(80),
    },
    rtp: { janusIce: [p(1000), p(1999)], audioBridge: [p(2000), p(2999)], gateway: [p(3000), p(3999)] },
    configFile: join(dir, 'foyer.yaml'),
    // The developer's stack uses the repo's registration/ folder (as production does); other
    // stacks keep theirs inside their own folder.
    registrationFile: isDefaultDir
      ? join(ROOT, 'registration', 'foyer-registration.yaml')
      : join(dir, 'registration.yaml'),
    stackJson: join(dir, 'stack.json'),
    tlsDir: join(dir, 'tls'),
    maxGuests,
  };
}

/** Every TCP port of ours, for the "nothing left listening" check. */
export function tcpPorts(l: StackLayout): number[] {
  return Object.values(l.ports);
}
