// Janus with a private config folder: only the AudioBridge and VideoRoom plugins and the
// WebSocket transport (symlinked into private plugin folders, so nothing else is loaded), an
// API secret, an admin secret, room creation locked by an admin key, its API on loopback only,
// and its own port ranges (AudioBridge's plain-RTP range is separate from the core's ICE range).
// Browser media (ICE) cannot use loopback: Chromium offers no loopback candidates by default and
// libnice fails to gather on loopback alone, so ICE uses the machine's primary interface.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { JanusConnection } from '../../../sip-gateway/src/janus/connection.ts';
import type { StackLayout } from './layout.ts';
import { requireBinary, startProcess, waitReady } from './proc.ts';
import type { StackState } from './state.ts';

const LIB = '/usr/lib/x86_64-linux-gnu/janus';
const PLUGINS = ['libjanus_audiobridge.so', 'libjanus_videoroom.so'];
const TRANSPORTS = ['libjanus_websockets.so'];

export const janusUrl = (l: StackLayout) => `ws://${l.host}:${l.ports.janus}`;

function linkOnly(from: string, to: string, names: string[]): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const n of names) symlinkSync(join(from, n), join(to, n));
}

/** The first non-loopback interface with an IPv4 address (eth0 on most machines), if any. */
export function primaryInterface(): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.family === 'IPv4' && !a.internal)) return name;
  }
  return undefined;
}

export function writeJanusConfig(l: StackLayout, s: StackState): string {
  const dir = join(l.dir, 'janus');
  const etc = join(dir, 'etc');
  mkdirSync(etc, { recursive: true });
  linkOnly(join(LIB, 'plugins'), join(dir, 'plugins'), PLUGINS);
  linkOnly(join(LIB, 'transports'), join(dir, 'transports'), TRANSPORTS);
  for (const empty of ['events', 'loggers']) mkdirSync(join(dir, empty), { recursive: true });
  const range = (r: [number, number]) => `"${r[0]}-${r[1]}"`;
  const ice = primaryInterface();
  const files: Record<string, string> = {
    'janus.jcfg': `general: {
  configs_folder = "${etc}"
  plugins_folder = "${join(dir, 'plugins')}"
  transports_folder = "${join(dir, 'transports')}"
  events_folder = "${join(dir, 'events')}"
  loggers_folder = "${join(dir, 'loggers')}"
  debug_level = 4
  debug_timestamps = true
  api_secret = "${s.secrets.janusApi}"
  admin_secret = "${s.secrets.janusAdmin}"
  server_name = "foyer-local"
  session_timeout = 60
  interface = "${l.host}"
  protected_folders = ["/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/lib32", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
media: {
  rtp_port_range = ${range(l.rtp.janusIce)}
}
nat: {
  nice_debug = false
${ice ? `  ice_enforce_list = "${ice}"\n` : ''}}
`,
    'janus.plugin.audiobridge.jcfg': `general: {
  admin_key = "${s.secrets.roomAdminKey}"
  lock_rtp_forward = true
  lock_play_file = true
  rtp_port_range = ${range(l.rtp.audioBridge)}
  local_ip = "${l.host}"
  events = false
}
`,
    'janus.plugin.videoroom.jcfg': `general: {
  admin_key = "${s.secrets.roomAdminKey}"
  lock_rtp_forward = true
  events = false
}
`,
    'janus.transport.websockets.jcfg': `general: {
  json = "compact"
  ws = true
  ws_port = ${l.ports.janus}
  ws_ip = "${l.host}"
  wss = false
}
admin: {
  admin_ws = true
  admin_ws_port = ${l.ports.janusAdmin}
  admin_ws_ip = "${l.host}"
  admin_wss = false
}
`,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text, { mode: 0o600 });
  return etc;
}

export async function janusAnswers(url: string, apiSecret: string): Promise<boolean> {
  const conn = await JanusConnection.connect(url, { apiSecret, timeoutMs: 1000 });
  try {
    const info = await conn.info();
    return info.janus === 'server_info';
  } finally {
    await conn.close();
  }
}

export async function startJanus(l: StackLayout, s: StackState): Promise<void> {
  const bin = requireBinary('janus', ['janus'], 'run scripts/setup (Debian package janus)');
  if (!existsSync(join(LIB, 'plugins', PLUGINS[0] ?? ''))) {
    throw new Error(`janus: plugins not found under ${LIB}; run scripts/setup`);
  }
  const etc = writeJanusConfig(l, s);
  const pid = startProcess(l, 'janus', bin, ['-F', etc, '-C', join(etc, 'janus.jcfg'), '-o']);
  await waitReady(l, 'janus', pid, () => janusAnswers(janusUrl(l), s.secrets.janusApi), 20_000);
}
