// Who the page is, for the hello: a guest link's token, or — inside a Matrix client, as a room
// widget — an OpenID token the client hands out through the widget API (matrix-widget-api).
//
// The widget handshake: the page listens, the client sends a `capabilities` request (after the
// iframe loaded, or after our `content_loaded` when the widget is set up with
// waitForIframeLoad=false), the library answers it and emits `ready` (once the client also
// confirmed the capabilities, if it said it would). The OpenID request goes out once the client
// has shown it is talking to us — `ready`, or at least its capabilities request — and at the
// latest after a few seconds. The client may ask the person to confirm.
//
// The library is loaded on demand, which may be after the iframe's load event: messages from the
// client that arrive before it listens are kept (holdWidgetMessages) and replayed to it.
import type { WidgetApi } from 'matrix-widget-api';
import type { WidgetRoute } from '../route.ts';
import { matrixAuth } from './openid-auth.ts';
import { AuthFailure, type AuthProvider } from './session.ts';

/** How long to wait for the client's capabilities request before asking for a token anyway. */
const READY_TIMEOUT_MS = 8_000;
/** After the client's capabilities request, time for the library's answer to go out first. */
const CAPABILITIES_GRACE_MS = 300;

export function guestAuth(token: string): AuthProvider {
  return { kind: 'guest', credentials: () => Promise.resolve({ kind: 'guest', token }) };
}

export function isFramed(): boolean {
  try {
    return window.parent !== window;
  } catch {
    return true;
  }
}

/** Messages from the Matrix client that arrived before the widget API listened. */
let early: MessageEvent[] | null = null;
const keepEarly = (event: MessageEvent): void => void early?.push(event);

/** Called as the widget page starts, before anything else can miss the client's first request. */
export function holdWidgetMessages(): void {
  if (early !== null) return;
  early = [];
  window.addEventListener('message', keepEarly);
}

function replayWidgetMessages(): void {
  window.removeEventListener('message', keepEarly);
  const events = early ?? [];
  early = null;
  for (const { data, origin, source } of events)
    window.dispatchEvent(new MessageEvent('message', { data, origin, source }));
}

/**
 * Where our requests go: the embedding client's origin as the browser reports it (the referrer
 * of the frame), or as Element passes it (`parentUrl`). Failing both, any origin: nothing secret
 * goes out (the token comes in, and it only proves to our gateway who the person is).
 */
function clientOrigin(): string {
  for (const url of [document.referrer, new URLSearchParams(location.search).get('parentUrl')]) {
    if (!url) continue;
    try {
      const { origin } = new URL(url);
      if (origin !== 'null') return origin;
    } catch {
      // Not a URL: try the next.
    }
  }
  return '*';
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startWidgetApi(widgetId: string): Promise<WidgetApi> {
  const { MatrixCapabilities, WidgetApi } = await import('matrix-widget-api');
  const api = new WidgetApi(widgetId, clientOrigin());
  // While in a call, the client keeps the widget visible (a small window when the user goes to
  // another room), as it does for its own calls.
  api.requestCapability(MatrixCapabilities.AlwaysOnScreen);
  const ready = new Promise<void>((resolve) => api.once('ready', () => resolve()));
  // Our answer to it goes out after one more round trip (supported versions); then ask.
  const talking = new Promise<void>((resolve) => api.once('action:capabilities', () => resolve())).then(() =>
    delay(CAPABILITIES_GRACE_MS),
  );
  api.start();
  replayWidgetMessages();
  // Needed by clients that wait for it (waitForIframeLoad=false); others answer with an error.
  api.sendContentLoaded().catch(() => undefined);
  await Promise.race([ready, talking, delay(READY_TIMEOUT_MS)]);
  return api;
}

export function widgetAuth(route: WidgetRoute): AuthProvider {
  let api: Promise<WidgetApi> | null = null;
  const { roomId, userId, widgetId } = route;
  const member = matrixAuth(
    userId ?? '',
    roomId ?? '',
    async (onStatus) => {
      api ??= startWidgetApi(widgetId ?? '');
      const widget = await api;
      onStatus('confirming');
      try {
        return await widget.requestOpenIDConnectToken();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // The library's wording when the client answers "blocked".
        if (/declined|blocked/i.test(message)) throw new AuthFailure('openid_refused', message);
        throw new AuthFailure('widget_failed', message);
      }
    },
    'the client',
  );

  return {
    ...member,
    async credentials(onStatus) {
      if (!isFramed()) throw new AuthFailure('not_in_widget', 'the page is not inside a Matrix client');
      if (roomId === null || userId === null || widgetId === null) {
        throw new AuthFailure('widget_params', 'roomId, userId and widgetId are needed');
      }
      return member.credentials(onStatus);
    },
    inCall(active) {
      // Only once the API runs (it did for the hello); a client that refused says so in the log.
      void api
        ?.then((widget) => widget.setAlwaysOnScreen(active))
        .catch((err: unknown) => console.info('conference: always on screen not granted', err));
    },
  };
}
