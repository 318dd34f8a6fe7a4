// The real homeserver of the test stack: shared-secret registration is the one way in.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../scripts/lib/stack/synapse.ts';
import { cs, enc, newUser } from './helpers/matrix.ts';
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

  it('gives clients the state after each sync (MSC4222), so a rename made while another member posts stays', async () => {
    // Two events sent at once fork the room's graph; a sync that reports only the state at the
    // start of its timeline then hands the client the name before the rename (measured here:
    // every rename of 150 undone in the client without state_after; matrix-js-sdk asks for it).
    const [a, b] = await Promise.all([newUser(info, 'rename'), newUser(info, 'poster')]);
    const { room_id: roomId } = await cs<{ room_id: string }>(info, a, 'POST', '/createRoom', {
      name: 'Start',
      preset: 'public_chat',
    });
    await cs(info, b, 'POST', `/rooms/${enc(roomId)}/join`, {});
    const sync = async (since?: string) => {
      const q = new URLSearchParams({ timeout: since ? '2000' : '0', 'org.matrix.msc4222.use_state_after': 'true' });
      if (since) q.set('since', since);
      return cs<{ next_batch: string; rooms?: { join?: Record<string, Record<string, unknown>> } }>(
        info,
        a,
        'GET',
        `/sync?${q}`,
      );
    };
    let since = (await sync()).next_batch;
    let seen: string | undefined;
    for (let i = 0; i < 5; i++) {
      await Promise.all([
        cs(info, a, 'PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, { name: `Name ${i}` }),
        cs(info, b, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/m${i}`, { msgtype: 'm.text', body: `${i}` }),
      ]);
      // Two long-polls: the rename's own sync and the one after it, where the fork showed.
      for (let k = 0; k < 2; k++) {
        const body = await sync(since);
        since = body.next_batch;
        const room = body.rooms?.join?.[roomId];
        if (!room) continue;
        const after = room['org.matrix.msc4222.state_after'] as
          { events: { type: string; content: { name?: string } }[] } | undefined;
        expect(after, 'state_after in the sync response').toBeDefined();
        for (const e of after?.events ?? []) if (e.type === 'm.room.name') seen = e.content.name;
      }
      expect(seen).toBe(`Name ${i}`);
    }
  });
});
