// Where another homeserver's federation API lives, found the way homeservers find each other
// (Matrix server-server spec, "Resolving server names"): an IP literal or an explicit port is
// used as it is; otherwise /.well-known/matrix/server may delegate, then SRV records, then
// port 8448. Every address is checked before we connect: private, loopback and link-local
// ranges are refused unless allowed (only the local test stack allows them), so a forged server
// name cannot make the gateway probe the internal network.
import { lookup, resolveSrv } from 'node:dns/promises';
import { request } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { checkServerIdentity, rootCertificates } from 'node:tls';
import { z } from 'zod';

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

/** A federation endpoint: connect to `address:port`, present `tlsName` (SNI, certificate) and `hostHeader`. */
export interface FederationTarget {
  address: string;
  port: number;
  tlsName: string;
  hostHeader: string;
}

export interface DiscoveryOptions {
  allowPrivateAddresses: boolean;
  /** Extra CA certificates (PEM) trusted besides the system's, e.g. the test stack's own CA. */
  extraCa?: string;
  timeoutMs?: number;
}

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return privateRanges.check(mapped[1], 'ipv4');
    return privateRanges.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

/** `host[:port]` with IPv6 literals in brackets; undefined when it is not a valid server name. */
export function parseServerName(name: string): { host: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[0-9a-zA-Z.-]+)(?::(\d{1,5}))?$/.exec(name);
  if (!m?.[1]) return undefined;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (m[1].startsWith('[') && isIP(host) !== 6) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return port === undefined ? { host } : { host, port };
}

const wellKnownSchema = z.looseObject({ 'm.server': z.string().min(1).max(255) });

export class ServerDiscovery {
  private readonly o: Required<Pick<DiscoveryOptions, 'timeoutMs'>> & DiscoveryOptions;
  private readonly cache = new Map<string, { target: FederationTarget; until: number }>();

  constructor(o: DiscoveryOptions) {
    this.o = { timeoutMs: 5000, ...o };
  }

  /** One address for a host name, refused if it lies in a private range (unless allowed). */
  private async address(host: string): Promise<string> {
    const all = isIP(host) ? [{ address: host }] : await lookup(host, { all: true }).catch(() => []);
    if (all.length === 0) throw new DiscoveryError(`${host} does not resolve`);
    // Any private answer counts: a name must not smuggle an internal address in second place.
    if (!this.o.allowPrivateAddresses && all.some((a) => isPrivateAddress(a.address)))
      throw new DiscoveryError(`${host} resolves to a private address`);
    // IPv4 first: homeservers often listen on IPv4 only while "localhost" also names ::1.
    return (all.find((a) => isIP(a.address) === 4) ?? all[0])?.address ?? host;
  }

  private async target(host: string, port: number, tlsName: string, hostHeader: string): Promise<FederationTarget> {
    return { address: await this.address(host), port, tlsName, hostHeader };
  }

  private async srv(host: string): Promise<{ name: string; port: number } | undefined> {
    for (const prefix of ['_matrix-fed._tcp', '_matrix._tcp']) {
      const records = await resolveSrv(`${prefix}.${host}`).catch(() => []);
      const best = records.sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
      if (best) return { name: best.name, port: best.port };
    }
    return undefined;
  }

  async resolve(serverName: string): Promise<FederationTarget> {
    const cached = this.cache.get(serverName);
    if (cached && cached.until > Date.now()) return cached.target;
    const target = await this.discover(serverName);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(serverName, { target, until: Date.now() + 3_600_000 });
    return target;
  }

  private async discover(serverName: string): Promise<FederationTarget> {
    const parsed = parseServerName(serverName);
    if (!parsed) throw new DiscoveryError(`"${serverName}" is not a server name`);
    const { host, port } = parsed;
    if (isIP(host) || port !== undefined) return this.target(host, port ?? 8448, host, serverName);
    const delegated = await this.wellKnown(host);
    if (delegated) {
      const d = parseServerName(delegated);
      if (!d) throw new DiscoveryError(`${host} delegates to "${delegated}", which is not a server name`);
      if (isIP(d.host) || d.port !== undefined) return this.target(d.host, d.port ?? 8448, d.host, delegated);
      const srv = await this.srv(d.host);
      return srv ? this.target(srv.name, srv.port, d.host, d.host) : this.target(d.host, 8448, d.host, d.host);
    }
    const srv = await this.srv(host);
    return srv ? this.target(srv.name, srv.port, host, host) : this.target(host, 8448, host, host);
  }

  private async wellKnown(host: string): Promise<string | undefined> {
    try {
      const res = await this.get(
        { address: await this.address(host), port: 443, tlsName: host, hostHeader: host },
        '/.well-known/matrix/server',
      );
      if (res.status !== 200) return undefined;
      const body = wellKnownSchema.safeParse(JSON.parse(res.body));
      return body.success ? body.data['m.server'] : undefined;
    } catch {
      return undefined;
    }
  }

  /** GET over TLS to a federation target (certificate checked against `tlsName`); small bodies only. */
  get(t: FederationTarget, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: t.address,
          port: t.port,
          servername: isIP(t.tlsName) ? undefined : t.tlsName,
          path,
          method: 'GET',
          headers: { host: t.hostHeader, accept: 'application/json' },
          timeout: this.o.timeoutMs,
          ...(this.o.extraCa ? { ca: [...rootCertificates, this.o.extraCa] } : {}),
          // For IP literals the certificate must name the IP: check it against tlsName.
          checkServerIdentity: (_host, cert) => checkServerIdentity(t.tlsName, cert),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.length > 64 * 1024) req.destroy(new DiscoveryError('answer too large'));
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy(new DiscoveryError('no answer in time')));
      req.on('error', reject);
      req.end();
    });
  }
}
