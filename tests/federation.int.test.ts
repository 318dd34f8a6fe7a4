// Federation against the test stack's partner homeserver (scripts/stack up --partner): a second
// real Synapse on loopback whose users reach our groups only through federation, over HTTPS with
// certificates from the stack's own CA. See docs/federation.md.
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cs,
  enc,
  eventually,
  groupWithGuestAccess,
  joinedMembers,
  newPartnerUser,
  newUser,
  openIdToken,
  partnerView,
  stateOf,
  timeline,
  type TestUser,
} from './helpers/matrix.ts';
import { testStack, type StackInfo } from './helpers/stack.ts';

const { info } = testStack();

interface Conference {
  guest_access: boolean;
  dial_in: { number: string; pin: string } | null;
  join_url: string | null;
  status: string;
}

/** GET over HTTPS trusting only the given CA (or the system's when none): status and JSON body. */
function httpsJson(url: string, ca?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca: ca && readFileSync(ca), timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

describe('federation with the partner homeserver', () => {
  const partner = info.partner;
  const ca = info.caFile ?? '';
  let p: StackInfo;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    if (!partner) throw new Error('the test stack must run with --partner (tests/global-stack.ts)');
    p = partnerView(info);
    alice = await newUser(info, 'alice');
    bob = await newPartnerUser(info, 'bob');
  });

  it('has two homeservers whose server names carry their HTTPS federation port', () => {
    expect(partner?.serverName).toMatch(/^localhost:\d+$/);
    expect(info.serverName).toMatch(/^localhost:\d+$/);
    expect(partner?.serverName).not.toBe(info.serverName);
    expect(info.federationUrl).toBe(`https://${info.serverName}`);
    expect(partner?.federationUrl).toBe(`https://${partner?.serverName}`);
    expect(alice.userId.endsWith(`:${info.serverName}`)).toBe(true);
    expect(bob.userId.endsWith(`:${partner?.serverName}`)).toBe(true);
    expect(partner?.caFile).toBe(ca);
  });

  it('serves federation and OpenID over TLS that verifies against the stack CA only', async () => {
    for (const url of [info.federationUrl, partner?.federationUrl]) {
      const version = await httpsJson(`${url}/_matrix/federation/v1/version`, ca);
      expect(version.status).toBe(200);
      expect(version.body).toMatchObject({ server: { name: 'Synapse' } });
      // Without the stack's CA the certificate does not verify: nothing is self-signed or skipped.
      await expect(httpsJson(`${url}/_matrix/federation/v1/version`)).rejects.toThrow(/certificate|issuer/i);
    }
    // OpenID tokens verify where a verifier elsewhere would check them: at each server's
    // federation endpoint over HTTPS.
    const ours = await httpsJson(
      `${info.federationUrl}/_matrix/federation/v1/openid/userinfo?access_token=${enc((await openIdToken(info, alice)).access_token)}`,
      ca,
    );
    expect(ours).toEqual({ status: 200, body: { sub: alice.userId } });
    const theirs = await httpsJson(
      `${partner?.federationUrl}/_matrix/federation/v1/openid/userinfo?access_token=${enc((await openIdToken(p, bob)).access_token)}`,
      ca,
    );
    expect(theirs).toEqual({ status: 200, body: { sub: bob.userId } });
  });

  it('a partner joins a group over federation, chats, reads its conference state, and may not change guest access', async () => {
    const { roomId, pin } = await groupWithGuestAccess(info, alice, 'Partnerprojekt');
    // The invitation is signed by the partner server before it returns: it is there now.
    await cs(info, alice, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
    await cs(p, bob, 'POST', `/join/${enc(roomId)}?server_name=${enc(info.serverName)}`, {});
    await eventually(
      async () => (await joinedMembers(info, alice, roomId)).includes(bob.userId),
      'the partner to join',
      30_000,
    );

    // Chat crosses the federation: the local member sees the partner's message.
    const body = `Hallo aus ${partner?.serverName}`;
    await cs(p, bob, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/fed${Date.now()}`, { msgtype: 'm.text', body });
    await eventually(
      async () =>
        (await timeline(info, alice, roomId)).some(
          (e) => e.sender === bob.userId && e.type === 'm.room.message' && e.content.body === body,
        ),
      'the partner’s message on our server',
      30_000,
    );

    // The bot's conference state reached the partner's copy of the room.
    const conf = await eventually(
      async () => {
        const c = await stateOf<Conference>(p, bob, roomId, 'org.foyer.conference');
        return c?.guest_access ? c : undefined;
      },
      'org.foyer.conference on the partner',
      30_000,
    );
    expect(conf.dial_in).toEqual({ number: info.dialInNumber, pin });
    expect(conf.join_url).toMatch(new RegExp(`^${info.webUrl}/join/[A-Za-z0-9_-]{32}$`));

    // A federated member may ask, but only staff of our server may switch guest access: the
    // bridge refuses and says why, in the room.
    await cs(p, bob, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, { enabled: false });
    const notice = await eventually(
      async () =>
        (await timeline(info, alice, roomId)).find(
          (e) =>
            e.sender === info.botUserId &&
            e.type === 'm.room.message' &&
            e.content.msgtype === 'm.notice' &&
            String(e.content.body).includes(bob.userId),
        ),
      'the bot’s notice',
      30_000,
    );
    expect(String(notice.content.body)).toContain(`only staff of ${info.serverName}`);
    // The partner sees the refusal too.
    await eventually(
      async () => (await timeline(p, bob, roomId)).some((e) => e.event_id === notice.event_id),
      'the notice on the partner',
      30_000,
    );
    const after = await stateOf<Conference>(info, alice, roomId, 'org.foyer.conference');
    expect(after).toMatchObject({ guest_access: true, dial_in: { pin }, join_url: conf.join_url });
  });
});
