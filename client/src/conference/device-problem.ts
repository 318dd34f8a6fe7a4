// Why the browser would not give us a camera or microphone, in terms a person can act on.
// Kept free of DOM types so the unit tests can check the mapping.

export type DeviceProblem = 'permission' | 'not_found' | 'in_use' | 'insecure' | 'other';

/** Maps a getUserMedia/getDisplayMedia rejection (a DOMException, by its name) to a problem. */
export function deviceProblemOf(err: unknown): DeviceProblem {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'permission';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'not_found';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'in_use';
    case 'NoMediaDevices':
      return 'insecure';
    default:
      return 'other';
  }
}
