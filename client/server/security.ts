import type { ClientConfig } from './client-config.ts';

/** The WebSocket origin (ws/wss) matching an http(s) URL's origin. */
function webSocketOrigin(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.origin;
}

/**
 * A Content-Security-Policy for the Vite/Svelte build: scripts and styles only from our own
 * files (the build emits no inline code), network access only to ourselves, the homeserver, the gateway and LiveKit.
 */
export function contentSecurityPolicy(client: ClientConfig, mediaUrl: string): string {
  const homeserver = new URL(client.homeserverUrl).origin;
  // Our own ws:/wss: origin is listed explicitly because older browsers do not let 'self' cover
  // it; the conference WebSocket is the gateway's, which may be another origin.
  const ownWebSocket = webSocketOrigin(client.webUrl);
  const conference = new URL(client.conferenceUrl).origin;
  // LiveKit: its WebSocket, and the same origin over http(s) (the SDK checks a refused join there).
  const media = [new URL(mediaUrl).origin, new URL(mediaUrl.replace(/^ws/, 'http')).origin];
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    // Avatars and media come from the homeserver; blob:/data: for images we decode ourselves.
    'img-src': ["'self'", 'data:', 'blob:', homeserver],
    // WebRTC streams attach via srcObject; blob: covers recorded or decoded media.
    'media-src': ["'self'", 'blob:'],
    'connect-src': ["'self'", homeserver, ownWebSocket, conference, ...media],
    'font-src': ["'self'"],
    'worker-src': ["'self'"],
    'manifest-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    // The page will be embedded as a Matrix widget in clients on other origins.
    'frame-ancestors': ['*'],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${[...new Set(sources)].join(' ')}`)
    .join('; ');
}

/** Headers set on every response, including errors and 404s. */
export function securityHeaders(client: ClientConfig, mediaUrl: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(client, mediaUrl),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Deliberately no X-Frame-Options: it cannot allow embedding by arbitrary origins, and
    // frame-ancestors in the CSP supersedes it.
  };
}

/** Vite puts every content-hashed file under assets/; those may be cached forever. */
export const cacheForever = 'public, max-age=31536000, immutable';
/** For index.html and other unhashed files: always revalidate, so a deploy is seen at once. */
export const revalidateAlways = 'no-cache';
