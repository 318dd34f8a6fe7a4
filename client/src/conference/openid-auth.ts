// A member's hello from an OpenID token: through the widget API (widget-auth.ts) or straight
// from the homeserver (the staff client). DOM-free, so it is unit-tested as it is.
import type { AuthStatus } from './session-state.ts';
import { AuthFailure, type AuthProvider } from './session.ts';

/** Re-request a token this long before the issuer said it expires. */
const EXPIRY_MARGIN_MS = 60_000;

/** An OpenID token as the homeserver hands it out (`POST /user/<id>/openid/request_token`). */
export interface OpenIdToken {
  access_token?: string;
  matrix_server_name?: string;
  expires_in?: number;
}

/**
 * A member's hello from OpenID tokens that `request` gets (through the widget API or straight
 * from the homeserver), each kept until it nearly expires. `request` throws AuthFailure.
 */
export function matrixAuth(
  userId: string,
  roomId: string,
  request: (onStatus: (status: AuthStatus) => void) => Promise<OpenIdToken>,
  source: string,
): Required<Pick<AuthProvider, 'credentials' | 'reset'>> & Pick<AuthProvider, 'kind'> {
  let cached: { token: string; serverName: string; expiresAt: number } | null = null;
  return {
    kind: 'matrix',
    async credentials(onStatus) {
      if (!cached || cached.expiresAt <= Date.now()) {
        onStatus('requesting');
        const { access_token: token, matrix_server_name: serverName, expires_in: expiresIn } = await request(onStatus);
        if (!token || !serverName) throw new AuthFailure('widget_failed', `${source} sent no OpenID token`);
        cached = { token, serverName, expiresAt: Date.now() + (expiresIn ?? 3600) * 1000 - EXPIRY_MARGIN_MS };
      }
      return { kind: 'matrix', userId, roomId, openidToken: cached.token, serverName: cached.serverName };
    },
    reset() {
      cached = null;
    },
  };
}

/**
 * For a page that already speaks to the homeserver as the member (the staff client): the token
 * comes straight from the homeserver, no widget API involved. Cached until it nearly expires.
 */
export function openIdAuth(userId: string, roomId: string, requestToken: () => Promise<OpenIdToken>): AuthProvider {
  return matrixAuth(
    userId,
    roomId,
    async () => {
      try {
        return await requestToken();
      } catch (err) {
        throw new AuthFailure('widget_failed', err instanceof Error ? err.message : String(err));
      }
    },
    'the homeserver',
  );
}
