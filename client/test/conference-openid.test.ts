// A member's OpenID credentials for the hello: requested once, kept until they nearly expire,
// forgotten on reset, and a missing token is an AuthFailure the page can explain.
import { describe, expect, it } from 'vitest';
import { AuthFailure } from '../src/conference/session.ts';
import { openIdAuth, type OpenIdToken } from '../src/conference/openid-auth.ts';

function counting(answers: OpenIdToken[]) {
  let calls = 0;
  return {
    request: () => Promise.resolve(answers[Math.min(calls++, answers.length - 1)] as OpenIdToken),
    calls: () => calls,
  };
}

describe('openIdAuth', () => {
  it('asks the homeserver once while the token lasts, again after reset', async () => {
    const hs = counting([
      { access_token: 'one', matrix_server_name: 'example.org', expires_in: 3600 },
      { access_token: 'two', matrix_server_name: 'example.org', expires_in: 3600 },
    ]);
    const auth = openIdAuth('@ann:example.org', '!room', hs.request);
    const statuses: string[] = [];
    const first = await auth.credentials((s) => statuses.push(s));
    expect(first).toEqual({
      kind: 'matrix',
      userId: '@ann:example.org',
      roomId: '!room',
      openidToken: 'one',
      serverName: 'example.org',
    });
    expect(statuses).toEqual(['requesting']);
    await auth.credentials(() => undefined);
    expect(hs.calls()).toBe(1);
    auth.reset?.();
    expect(await auth.credentials(() => undefined)).toMatchObject({ openidToken: 'two' });
    expect(hs.calls()).toBe(2);
  });

  it('asks again for a token about to expire, and refuses an answer without one', async () => {
    const short = counting([{ access_token: 'one', matrix_server_name: 'example.org', expires_in: 30 }]);
    const auth = openIdAuth('@ann:example.org', '!room', short.request);
    await auth.credentials(() => undefined);
    await auth.credentials(() => undefined);
    expect(short.calls()).toBe(2);

    const empty = openIdAuth('@ann:example.org', '!room', () => Promise.resolve({ matrix_server_name: 'x' }));
    await expect(empty.credentials(() => undefined)).rejects.toThrow(
      new AuthFailure('widget_failed', 'the homeserver sent no OpenID token'),
    );
    const failing = openIdAuth('@ann:example.org', '!room', () => Promise.reject(new Error('offline')));
    await expect(failing.credentials(() => undefined)).rejects.toBeInstanceOf(AuthFailure);
  });
});
