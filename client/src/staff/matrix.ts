// Signing in and out, and the Matrix client of a signed-in person (matrix-js-sdk, no crypto:
// Foyer's rooms are not end-to-end encrypted).
import { createClient, MatrixError, type MatrixClient } from 'matrix-js-sdk';
import type { StoredSession } from './session-store.ts';
import './matrix-types.ts';

export type SignInProblem = 'wrong_password' | 'unreachable' | 'rate_limited' | 'deactivated' | 'failed';

export class SignInError extends Error {
  readonly problem: SignInProblem;

  constructor(problem: SignInProblem, message: string) {
    super(message);
    this.name = 'SignInError';
    this.problem = problem;
  }
}

/** Why a login failed, in the terms the sign-in page explains. */
export function signInProblem(err: unknown): SignInProblem {
  if (err instanceof MatrixError) {
    if (err.errcode === 'M_FORBIDDEN') return 'wrong_password';
    if (err.errcode === 'M_USER_DEACTIVATED') return 'deactivated';
    if (err.errcode === 'M_LIMIT_EXCEEDED') return 'rate_limited';
    if (err.errcode === 'M_INVALID_USERNAME' || err.httpStatus === 400) return 'wrong_password';
    return 'failed';
  }
  // fetch's TypeError, a ConnectionError of the SDK, an abort: nothing came back.
  return 'unreachable';
}

/** `anna` or `@anna:example.org` → what the login's identifier wants. */
function userIdentifier(user: string): string {
  return user.trim();
}

export async function signIn(homeserverUrl: string, user: string, password: string): Promise<StoredSession> {
  const client = createClient({ baseUrl: homeserverUrl });
  try {
    const response = await client.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userIdentifier(user) },
      password,
      initial_device_display_name: 'Foyer',
    });
    return {
      homeserverUrl,
      userId: response.user_id,
      accessToken: response.access_token,
      deviceId: response.device_id,
    };
  } catch (err) {
    throw new SignInError(signInProblem(err), err instanceof Error ? err.message : String(err));
  }
}

export function clientFor(session: StoredSession): MatrixClient {
  return createClient({
    baseUrl: session.homeserverUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    timelineSupport: true,
  });
}
