// The app's few client-side routes. The web server answers every extension-less path with
// index.html, so whatever the address bar holds ends up here.
import type { Language } from './i18n.ts';

/**
 * The conference page inside a Matrix client (a room widget). The client fills the query from the
 * widget's URL template; a parameter it left out is null, and the page says so.
 */
export interface WidgetRoute {
  kind: 'widget';
  roomId: string | null;
  userId: string | null;
  widgetId: string | null;
  /** The Matrix client's language, when it passed one we have; it wins over the browser's. */
  lang: Language | null;
}

export type Route =
  | { kind: 'start' }
  /** A guest link handed out for a group's conference. */
  | { kind: 'join'; token: string }
  | WidgetRoute
  | { kind: 'unknown'; path: string };

/** The routes that show the conference page rather than the start page. */
export type ConferenceRoute = Extract<Route, { kind: 'join' | 'widget' }>;

const startPath = /^\/(index\.html)?$/;
const joinPath = /^\/join\/([^/]+)\/?$/;
const widgetPath = /^\/widget\/conference\/?$/;

export function parseRoute(pathname: string, search = ''): Route {
  if (startPath.test(pathname)) return { kind: 'start' };
  const join = joinPath.exec(pathname);
  if (join?.[1] !== undefined) {
    const token = decodeSegment(join[1]);
    if (token !== undefined && token.trim() !== '') return { kind: 'join', token };
  }
  if (widgetPath.test(pathname)) return parseWidgetQuery(search);
  return { kind: 'unknown', path: pathname };
}

export function isConferenceRoute(route: Route): route is ConferenceRoute {
  return route.kind === 'join' || route.kind === 'widget';
}

function parseWidgetQuery(search: string): WidgetRoute {
  const query = new URLSearchParams(search);
  /** A parameter the client did not fill in stays a literal `$name` (or `$matrix_…`) in some clients. */
  const value = (name: string): string | null => {
    const raw = query.get(name)?.trim();
    return raw && !raw.startsWith('$') ? raw : null;
  };
  return {
    kind: 'widget',
    roomId: value('roomId'),
    userId: value('userId'),
    widgetId: value('widgetId'),
    lang: languageTag(value('lang')),
  };
}

/** 'de', 'de-AT', 'EN_gb' → the language we have; anything else → null. */
function languageTag(tag: string | null): Language | null {
  const base = tag?.toLowerCase().split(/[-_]/)[0];
  return base === 'de' || base === 'en' ? base : null;
}

/** A percent-decoded path segment, or undefined when it is malformed or hides a slash. */
function decodeSegment(segment: string): string | undefined {
  try {
    const decoded = decodeURIComponent(segment);
    return decoded.includes('/') ? undefined : decoded;
  } catch {
    return undefined;
  }
}
