// The public part of the deployment config, as served by the web server at /config.json
// (see server/client-config.ts). Checked at runtime: a proxy error page is not a config.

export interface SiteConfig {
  homeserverUrl: string;
  serverName: string;
  webUrl: string;
}

export type SiteConfigLoad = { state: 'loading' } | { state: 'failed' } | { state: 'ready'; config: SiteConfig };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function parseSiteConfig(data: unknown): SiteConfig | undefined {
  if (!isRecord(data)) return undefined;
  const { homeserverUrl, serverName, webUrl } = data;
  if (!isHttpUrl(homeserverUrl) || !isHttpUrl(webUrl)) return undefined;
  if (typeof serverName !== 'string' || serverName === '') return undefined;
  return { homeserverUrl: homeserverUrl.replace(/\/+$/, ''), serverName, webUrl };
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
