// The app's few client-side routes. The web server answers every extension-less path with
// index.html, so whatever the address bar holds ends up here.

export type Route =
  | { kind: 'start' }
  /** A guest link handed out for a group's conference. */
  | { kind: 'join'; token: string }
  | { kind: 'unknown'; path: string };

const startPath = /^\/(index\.html)?$/;
const joinPath = /^\/join\/([^/]+)\/?$/;

export function parseRoute(pathname: string): Route {
  if (startPath.test(pathname)) return { kind: 'start' };
  const join = joinPath.exec(pathname);
  if (join?.[1] !== undefined) {
    const token = decodeSegment(join[1]);
    if (token !== undefined && token.trim() !== '') return { kind: 'join', token };
  }
  return { kind: 'unknown', path: pathname };
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
