// The pure parts of the stack's media plane: LiveKit's and Redis's generated config, the port
// layout (LiveKit's ports inside the stack's span, nothing overlapping), the generated secrets.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { livekitConfigYaml, livekitInfo, livekitNodes, redisConfig } from '../scripts/lib/stack/livekit.ts';
import { stackLayout, STACK_PORT_SPAN, tcpPorts, udpPorts } from '../scripts/lib/stack/layout.ts';
import { newMediaSecrets } from '../scripts/lib/stack/state.ts';

const layoutAt = (base: number) =>
  stackLayout({ FOYER_STACK_DIR: '/tmp/foyer-layout-test', FOYER_PORT_BASE: String(base) });

describe('LiveKit config', () => {
  const l = layoutAt(18000);
  const [a, b] = livekitNodes(l, 'cluster');
  if (!a || !b) throw new Error('two nodes expected');

  it('binds signalling to loopback, muxes ICE over one UDP port, has no TURN and no inline keys', () => {
    const text = livekitConfigYaml(l, a, { keyFile: '/x/keys.yaml', iface: 'eth0' });
    const c = parse(text) as Record<string, unknown>;
    expect(c).toMatchObject({
      port: 18070,
      bind_addresses: ['127.0.0.1'],
      key_file: '/x/keys.yaml',
      rtc: { tcp_port: 18071, udp_port: 18072, use_external_ip: false, interfaces: { includes: ['eth0'] } },
      turn: { enabled: false },
    });
    expect(c).not.toHaveProperty('keys');
    expect(c).not.toHaveProperty('redis');
    expect(c).not.toHaveProperty('rtc.node_ip');
    expect((c.rtc as Record<string, unknown>).port_range_start).toBeUndefined();
  });

  it('leaves the interface to LiveKit when the machine has none but loopback', () => {
    const c = parse(livekitConfigYaml(l, a, { keyFile: '/k' })) as { rtc: Record<string, unknown> };
    expect(c.rtc.interfaces).toBeUndefined();
  });

  it('reports joins to the gateway’s webhook with the stack’s API key', () => {
    const hook = { apiKey: 'APIkey1', url: 'http://127.0.0.1:18092/livekit/webhook' };
    const c = parse(livekitConfigYaml(l, a, { keyFile: '/k', webhook: hook })) as Record<string, unknown>;
    expect(c.webhook).toEqual({ api_key: 'APIkey1', urls: ['http://127.0.0.1:18092/livekit/webhook'] });
    expect(parse(livekitConfigYaml(l, a, { keyFile: '/k' }))).not.toHaveProperty('webhook');
  });

  it('in a cluster: each node its own ports, both on the same Redis, rooms placed on the emptier node', () => {
    const redis = { address: '127.0.0.1:18076', password: 'p"w' };
    const ca = parse(livekitConfigYaml(l, a, { keyFile: '/k', redis })) as Record<string, Record<string, unknown>>;
    const cb = parse(livekitConfigYaml(l, b, { keyFile: '/k', redis })) as Record<string, Record<string, unknown>>;
    expect(ca.redis).toEqual(redis); // quoted safely
    expect(cb.redis).toEqual(redis);
    expect(cb).toMatchObject({ port: 18073, rtc: { tcp_port: 18074, udp_port: 18075 } });
    expect(ca.node_selector).toEqual({ kind: 'any', sort_by: 'rooms', algorithm: 'lowest' });
  });

  it('stack.json lists one node by default and both in a cluster', () => {
    const secrets = newMediaSecrets();
    const single = livekitInfo(l, { secrets });
    expect(single).toMatchObject({ url: 'ws://127.0.0.1:18070', mode: 'single', redis: null });
    expect(single.nodes.map((n) => n.url)).toEqual(['ws://127.0.0.1:18070']);
    const cluster = livekitInfo(l, { media: 'cluster', secrets });
    expect(cluster.nodes.map((n) => n.url)).toEqual(['ws://127.0.0.1:18070', 'ws://127.0.0.1:18073']);
    expect(cluster.redis).toEqual({ host: '127.0.0.1', port: 18076, password: secrets.redis });
  });

  it('Redis: loopback, a password, no persistence', () => {
    const secrets = newMediaSecrets();
    const text = redisConfig(l, { secrets }, '/d');
    expect(text).toMatch(/^bind 127\.0\.0\.1$/m);
    expect(text).toMatch(/^port 18076$/m);
    expect(text).toContain(`requirepass ${secrets.redis}\n`);
    expect(text).toMatch(/^save ""$/m);
    expect(text).toMatch(/^appendonly no$/m);
  });

  it('generates distinct keys and secrets of the length LiveKit wants', () => {
    const x = newMediaSecrets();
    const y = newMediaSecrets();
    expect(x.livekitSecret.length).toBeGreaterThanOrEqual(32);
    expect(x.livekitKey).toMatch(/^API[\w-]+$/);
    expect(x.livekitSecret).not.toBe(y.livekitSecret);
    expect(x.redis).not.toBe(y.redis);
  });
});

describe('stack port layout', () => {
  for (const base of [8000, 18000, 28000, 61000]) {
    it(`base ${base}: every port inside the span, none shared`, () => {
      const l = layoutAt(base);
      const inSpan = (p: number) => p >= base && p < base + STACK_PORT_SPAN;
      const tcp = tcpPorts(l);
      expect(new Set(tcp).size).toBe(tcp.length);
      const ranges = Object.values(l.rtp);
      const singles = udpPorts(l);
      expect(new Set(singles).size).toBe(singles.length);
      for (const p of [...tcp, ...singles]) expect(inSpan(p), `port ${p}`).toBe(true);
      for (const p of singles)
        for (const [lo, hi] of ranges) expect(p < lo || p > hi, `UDP ${p} in ${lo}-${hi}`).toBe(true);
      for (const [i, [lo, hi]] of ranges.entries()) {
        expect(inSpan(lo) && inSpan(hi)).toBe(true);
        for (const [lo2, hi2] of ranges.slice(i + 1)) expect(hi < lo2 || lo > hi2).toBe(true);
      }
      // LiveKit's own ports, for both nodes, are among the stack's.
      for (const n of livekitNodes(l, 'cluster')) {
        expect(tcp).toContain(n.port);
        expect(tcp).toContain(n.rtcTcpPort);
        expect(singles).toContain(n.udpPort);
      }
      expect(tcp).toContain(l.ports.redis);
    });
  }
});
