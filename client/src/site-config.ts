// The public part of the deployment config, as served by the web server at /config.json
// (see server/client-config.ts). Checked at runtime: a proxy error page is not a config.
import { isLocalUser, isUserId } from '@foyer/common/matrix-ids';

export interface SiteConfig {
  homeserverUrl: string;
  serverName: string;
  /** The bridge's bot, a user of serverName (`appservice.botLocalpart` is configurable). */
  botUserId: string;
  webUrl: string;
  /** The gateway's conference WebSocket (ws: or wss:); older servers do not send it. */
  conferenceUrl?: string;
}

export type SiteConfigLoad = { state: 'loading' } | { state: 'failed' } | { state: 'ready'; config: SiteConfig };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasProtocol(value: unknown, protocols: string[]): value is string {
  if (typeof value !== 'string') return false;
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const isHttpUrl = (value: unknown): value is string => hasProtocol(value, ['http:', 'https:']);

export function parseSiteConfig(data: unknown): SiteConfig | undefined {
  if (!isRecord(data)) return undefined;
  const { homeserverUrl, serverName, botUserId, webUrl, conferenceUrl } = data;
  if (!isHttpUrl(homeserverUrl) || !isHttpUrl(webUrl)) return undefined;
  if (typeof serverName !== 'string' || serverName === '') return undefined;
  if (typeof botUserId !== 'string' || !isUserId(botUserId) || !isLocalUser(botUserId, serverName)) return undefined;
  const config: SiteConfig = { homeserverUrl: homeserverUrl.replace(/\/+$/, ''), serverName, botUserId, webUrl };
  if (hasProtocol(conferenceUrl, ['ws:', 'wss:'])) config.conferenceUrl = conferenceUrl;
  return config;
}

/** Loads /config.json; resolves to undefined when it is unreachable or malformed. */
export async function fetchSiteConfig(signal?: AbortSignal): Promise<SiteConfig | undefined> {
  try {
    const response = await fetch('/config.json', { signal, headers: { accept: 'application/json' } });
    if (!response.ok) return undefined;
    return parseSiteConfig(await response.json());
  } catch {
    return undefined;
  }
}
