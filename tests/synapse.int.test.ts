// The real homeserver of the test stack: shared-secret registration is the one way in.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../scripts/lib/stack/synapse.ts';
import { cs, newUser } from './helpers/matrix.ts';
import { testStack } from './helpers/stack.ts';

const { info } = testStack();

describe('Synapse', () => {
  it('registers a user through the shared secret, and the user can use the API', async () => {
    const user = await newUser(info, 'smoke');
    expect(user.userId).toMatch(new RegExp(`^@smoke[0-9a-f]{8}:${info.serverName}$`));
    const whoami = await cs<{ user_id: string }>(info, user, 'GET', '/account/whoami');
    expect(whoami.user_id).toBe(user.userId);
  });

  it('refuses registration with a wrong shared secret and open registration', async () => {
    await expect(registerUser(info.homeserverUrl, 'wrong-secret', 'mallory', 'pw-pw-pw-pw')).rejects.toThrow(
      /403|M_FORBIDDEN|HMAC/i,
    );
    const open = await fetch(`${info.homeserverUrl}/_matrix/client/v3/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mallory', password: 'pw-pw-pw-pw', auth: { type: 'm.login.dummy' } }),
    });
    expect(open.status).toBe(403);
  });

  it('has the bot as a server admin, so the bridge can use the admin API', async () => {
    const res = await fetch(`${info.homeserverUrl}/_synapse/admin/v2/users/${encodeURIComponent(info.botUserId)}`, {
      headers: { authorization: `Bearer ${testStack().registration.as_token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { admin: boolean }).admin).toBe(true);
  });
});
