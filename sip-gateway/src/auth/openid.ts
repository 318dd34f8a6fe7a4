// Who is on the other end of a conference WebSocket: a Matrix user proves it with an OpenID
// token, which we check at the user's own homeserver (federation OpenID userinfo). Tokens from
// other servers need server discovery (federated partners); until then only our homeserver's
// users are accepted.
import { z } from 'zod';

export class AuthError extends Error {
  override name = 'AuthError';
  readonly code: 'forbidden' | 'unavailable';
  constructor(code: 'forbidden' | 'unavailable', message: string) {
    super(message);
    this.code = code;
  }
}

const userinfoSchema = z.object({ sub: z.string() });

export interface OpenIdVerifier {
  verify(o: { userId: string; serverName: string; token: string }): Promise<string>;
}

export class HomeserverOpenIdVerifier implements OpenIdVerifier {
  private readonly serverName: string;
  private readonly homeserverUrl: string;

  constructor(o: { serverName: string; homeserverUrl: string }) {
    this.serverName = o.serverName;
    this.homeserverUrl = o.homeserverUrl;
  }

  /** The verified Matrix user ID, or an AuthError. */
  async verify(o: { userId: string; serverName: string; token: string }): Promise<string> {
    if (o.serverName !== this.serverName || !o.userId.endsWith(`:${this.serverName}`)) {
      throw new AuthError('forbidden', `only users of ${this.serverName} can join here for now`);
    }
    let res: Response;
    try {
      res = await fetch(
        `${this.homeserverUrl}/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(o.token)}`,
        { signal: AbortSignal.timeout(5000) },
      );
    } catch (err) {
      throw new AuthError('unavailable', `the homeserver could not be asked: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403 || res.status === 404)
      throw new AuthError('forbidden', 'the OpenID token is not valid');
    if (!res.ok) throw new AuthError('unavailable', `the homeserver answered ${res.status}`);
    const info = userinfoSchema.safeParse(await res.json().catch(() => undefined));
    if (!info.success) throw new AuthError('unavailable', 'the homeserver gave an unexpected answer');
    if (info.data.sub !== o.userId) throw new AuthError('forbidden', 'the OpenID token belongs to another user');
    return info.data.sub;
  }
}
