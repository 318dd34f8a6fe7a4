// Typed access to the npm `sip` package (transactions and transports only; patched by
// patches/sip+0.0.6.patch). It ships no types, so the shapes we rely on are declared here.
// Messages come from the network: every field beyond what the package itself checks
// (method or status, Via, Call-ID, To, From, CSeq present) is `unknown` until validated.
import { createRequire } from 'node:module';

export interface SipUri {
  schema: string;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
  headers: Record<string, string>;
}

/** Where a message came from, as the package reports it; also usable as a send target. */
export interface Flow {
  protocol: string;
  address: string;
  port: number;
  local: { address: string; port: number };
}

export interface SipMessage {
  method?: string;
  uri?: string | SipUri;
  status?: number;
  reason?: string;
  version?: string;
  headers: Record<string, unknown>;
  content?: string;
}

export interface StackOptions {
  address: string;
  port: number;
  udp: boolean;
  tcp: boolean;
  tls?: { key: Buffer; cert: Buffer };
  tls_port?: number;
  publicAddress: string;
  hostname: string;
  maxBytesHeaders: number;
  maxContentLength: number;
  logger: {
    error: (err: unknown) => void;
    recv?: (m: SipMessage, remote: Flow) => void;
    send?: (m: SipMessage, target: unknown) => void;
  };
  /** Added by our patch: a socket or server error (busy port, failed send). */
  onTransportError: (err: Error, protocol: string) => void;
  /** Added by our patch: a transport is listening. */
  onListening: (protocol: string) => void;
}

export interface SipStack {
  /** Responses go to their server transaction; requests are routed (Route, then Request-URI). */
  send(m: SipMessage, onResponse?: (rs: SipMessage) => void): void;
  encodeFlowUri(flow: Flow): SipUri;
  hostname(): string;
  /** The callback (added by our patch) runs once the sockets are closed. */
  destroy(done?: () => void): void;
}

interface SipModule {
  create(options: StackOptions, handler: (m: SipMessage, remote: Flow) => void): SipStack;
  parseUri(s: string): SipUri | undefined;
  stringifyUri(uri: SipUri): string;
}

const require = createRequire(import.meta.url);
export const sip = require('sip') as SipModule;
