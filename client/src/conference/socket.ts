// Where the gateway's conference WebSocket is, and the browser's WebSocket behind the session's
// small SocketFactory interface.
import { fetchSiteConfig } from '../site-config.ts';
import type { SocketFactory } from './session.ts';

interface PageLocation {
  protocol: string;
  host: string;
}

/** The conference WebSocket on the page's own origin (ws: or wss: to match). */
export function conferenceSocketUrl(location: PageLocation): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/conference`;
}

/**
 * /config.json names the gateway's WebSocket (it may be on another origin); without it, the
 * page's own origin. Once known, it is kept; a failed look-up is tried again next time.
 */
export function conferenceUrlFinder(location: PageLocation, load = fetchSiteConfig): () => Promise<string> {
  let known: string | undefined;
  return async () => {
    known ??= (await load())?.conferenceUrl;
    return known ?? conferenceSocketUrl(location);
  };
}

export const browserSocket: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.onopen = () => handlers.open();
  ws.onmessage = (event) => {
    const data: unknown = event.data;
    if (typeof data === 'string') handlers.message(data);
  };
  ws.onclose = (event) => handlers.close(event.code, event.reason);
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
};
