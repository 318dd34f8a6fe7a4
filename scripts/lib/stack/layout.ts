// Where a local stack lives and which loopback ports it uses. Every port derives from one base,
// so a developer's stack (.stack, base 18000) and the test suite's (another dir and base) run
// side by side without clashing.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Ports a stack takes from its base: TCP services and LiveKit's single UDP ports below +200,
 * UDP ranges from +2000 to +3999. Ports no longer used (Janus's) stay gaps, so every other port
 * keeps its number.
 */
export const STACK_PORT_SPAN = 4000;

/** Linux's ephemeral range (outgoing connections take ports from it), or undefined elsewhere. */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | undefined {
  try {
    const [lo, hi] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return lo !== undefined && hi !== undefined && Number.isInteger(lo) && Number.isInteger(hi) ? [lo, hi] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a port base is refused: a stack whose ports lie in the ephemeral range may find one taken
 * by any outgoing connection of the machine (a test's flake, a service that does not start).
 */
export function portBaseProblem(base: number, ephemeral: [number, number] | undefined): string | undefined {
  const last = base + STACK_PORT_SPAN - 1;
  if (!ephemeral || last < ephemeral[0] || base > ephemeral[1]) return undefined;
  return `FOYER_PORT_BASE ${base}: ports ${base}–${last} overlap the ephemeral port range ${ephemeral[0]}–${ephemeral[1]} (/proc/sys/net/ipv4/ip_local_port_range), where outgoing connections may take them; choose a base from 1024 to ${ephemeral[0] - STACK_PORT_SPAN}${ephemeral[1] + STACK_PORT_SPAN <= 65536 ? ` or above ${ephemeral[1]}` : ''}`;
}

export type DbMode = 'postgres' | 'embedded';
/** The media plane: one LiveKit node (the default), or two sharing a Redis (`up --media cluster`). */
export type MediaMode = 'single' | 'cluster';

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
    /** LiveKit node A (the only one by default): signalling (HTTP/WebSocket) and ICE over TCP. */
    livekit: number;
    livekitRtc: number;
    /** Cluster mode only: LiveKit node B, and the Redis both nodes share. */
    livekit2: number;
    livekit2Rtc: number;
    redis: number;
    appservice: number;
    bridgeApi: number;
    gateway: number;
    sip: number;
    web: number;
  };
  /** UDP ranges: the media agent's plain-RTP mix legs, the gateway's relay to the callers. */
  rtp: { mediaAgent: [number, number]; gateway: [number, number] };
  /** Single UDP ports: each LiveKit node muxes all its ICE over one (however many participants). */
  udp: { livekit: number; livekit2: number };
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
  const problem = portBaseProblem(portBase, ephemeralPortRange());
  if (problem) throw new Error(problem);
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
      livekit: p(70),
      livekitRtc: p(71),
      livekit2: p(73),
      livekit2Rtc: p(74),
      redis: p(76),
      appservice: p(90),
      bridgeApi: p(91),
      gateway: p(92),
      sip: p(60),
      web: p(80),
    },
    rtp: { mediaAgent: [p(2000), p(2999)], gateway: [p(3000), p(3999)] },
    udp: { livekit: p(72), livekit2: p(75) },
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

/** Every single UDP port of ours (SIP, LiveKit's muxes), for the same check; ranges are in `rtp`. */
export function udpPorts(l: StackLayout): number[] {
  return [l.ports.sip, ...Object.values(l.udp)];
}

/** The gateway's HTTP listener (health, LiveKit's webhook, Element Call's token service). */
export const gatewayUrl = (l: StackLayout) => `http://${l.host}:${l.ports.gateway}`;
