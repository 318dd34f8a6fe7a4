// Who is on the other end of a conference WebSocket: a Matrix user proves it with an OpenID
// token, which we check at the user's own homeserver (federation OpenID userinfo) — ours, or a
// federated partner's found through server discovery.
import { z } from 'zod';
import { serverOf } from '@foyer/common';
import type { ServerDiscovery } from './server-discovery.ts';

export class AuthError extends Error {
  override name = 'AuthError';
  readonly code: 'forbidden' | 'unavailable';
  constructor(code: 'forbidden' | 'unavailable', message: string) {
    super(message);
    this.code = code;
  }
}

const userinfoSchema = z.object({ sub: z.string() });

/** An OpenID token as a client hands it over; `userId`: whom the client claims to be, if it says. */
export interface OpenIdClaim {
  userId?: string;
  serverName: string;
  token: string;
}

export interface OpenIdVerifier {
  verify(o: OpenIdClaim): Promise<string>;
}

export interface OpenIdVerifierOptions {
  /** Our own homeserver: asked directly over the configured (internal) URL. */
  serverName: string;
  homeserverUrl: string;
  /** Finds other homeservers' federation APIs (partners' users). */
  discovery: Pick<ServerDiscovery, 'resolve' | 'get'>;
}

/**
 * Checks the token at the homeserver that issued it: ours over its configured URL, a partner's
 * through server discovery. The homeserver must answer with one of its own users (a server
 * vouches for nobody else's), and with exactly the claimed user when the client claims one.
 */
export class HomeserverOpenIdVerifier implements OpenIdVerifier {
  private readonly o: OpenIdVerifierOptions;

  constructor(o: OpenIdVerifierOptions) {
    this.o = o;
  }

  private async ask(serverName: string, path: string): Promise<{ status: number; body: string }> {
    try {
      if (serverName === this.o.serverName) {
        const res = await fetch(`${this.o.homeserverUrl}${path}`, { signal: AbortSignal.timeout(5000) });
        return { status: res.status, body: await res.text() };
      }
      return await this.o.discovery.get(await this.o.discovery.resolve(serverName), path);
    } catch (err) {
      throw new AuthError('unavailable', `the homeserver ${serverName} could not be asked: ${(err as Error).message}`);
    }
  }

  /** The verified Matrix user ID, or an AuthError. */
  async verify(o: OpenIdClaim): Promise<string> {
    if (o.userId !== undefined && serverOf(o.userId) !== o.serverName)
      throw new AuthError('forbidden', 'the OpenID token comes from another server than the user’s');
    const res = await this.ask(
      o.serverName,
      `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(o.token)}`,
    );
    if (res.status === 401 || res.status === 403 || res.status === 404)
      throw new AuthError('forbidden', 'the OpenID token is not valid');
    if (res.status !== 200) throw new AuthError('unavailable', `the homeserver answered ${res.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    const info = userinfoSchema.safeParse(parsed);
    if (!info.success) throw new AuthError('unavailable', 'the homeserver gave an unexpected answer');
    if (serverOf(info.data.sub) !== o.serverName)
      throw new AuthError('forbidden', `the homeserver ${o.serverName} vouched for a user of another server`);
    if (o.userId !== undefined && info.data.sub !== o.userId)
      throw new AuthError('forbidden', 'the OpenID token belongs to another user');
    return info.data.sub;
  }
}
