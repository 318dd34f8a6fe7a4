// Browsers on LiveKit, with a stand-in room service: the tokens' grants, who the webhook has
// removed (only pages of this gateway's rooms that are not admitted now), a bad signature
// refused, and a moderator's mute as a permission. The real LiveKit is in
// client/test/conference-livekit.int.test.ts.
import { createHash } from 'node:crypto';
import { AccessToken, TokenVerifier, TrackSource } from 'livekit-server-sdk';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { callerIdentity, livekitRoomOf } from '@foyer/common/livekit';
import { LiveKitBrowsers, type RoomService } from '../src/livekit/livekit-browsers.ts';

const KEY = 'APItest';
const SECRET = 'a-secret-of-more-than-thirty-two-characters';

class FakeRoomService implements RoomService {
  removed: [string, string][] = [];
  permissions: [string, TrackSource[]][] = [];
  async removeParticipant(room: string, identity: string) {
    this.removed.push([room, identity]);
  }
  async updateParticipant(_room: string, identity: string, o: { permission: { canPublishSources: TrackSource[] } }) {
    this.permissions.push([identity, o.permission.canPublishSources]);
  }
  async getParticipant() {
    return { tracks: [] };
  }
  async mutePublishedTrack() {}
}

let plane: LiveKitBrowsers | undefined;
afterEach(() => plane?.stop());

function setup() {
  const rooms = new FakeRoomService();
  plane = new LiveKitBrowsers({
    url: 'ws://127.0.0.1:9',
    publicUrl: 'wss://livekit.example.org',
    apiKey: KEY,
    apiSecret: SECRET,
    serverName: 'example.org',
    log: pino({ level: 'silent' }),
    roomService: rooms,
  });
  return { plane, rooms };
}

/** A webhook as LiveKit sends it: JSON body, Authorization a JWT carrying the body's SHA-256. */
async function webhook(event: string, room: string, identity: string, secret = SECRET) {
  const body = JSON.stringify({ event, room: { name: room }, participant: { identity }, id: 'EV_1', createdAt: '1' });
  const at = new AccessToken(KEY, secret);
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return { body, auth: await at.toJwt() };
}

const guest = { roomId: '!g:example.org', participantId: 'abc123', kind: 'guest' as const, name: 'Gerda' };

describe('browsers on LiveKit', () => {
  it('mints a token for the group’s room only, with what a page may do', async () => {
    const { plane } = setup();
    const m = plane.media(guest);
    const { url, token } = await m.token();
    expect(url).toBe('wss://livekit.example.org');
    const claims = await new TokenVerifier(KEY, SECRET).verify(token);
    expect(claims.sub).toBe('@foyer_guest_abc123:example.org:FOYER_WEB_abc123');
    expect(claims.name).toBe('Gerda');
    expect(claims.video).toMatchObject({
      room: livekitRoomOf('!g:example.org'),
      roomJoin: true,
      canSubscribe: true,
      canPublish: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      canPublishSources: ['microphone', 'camera', 'screen_share'],
    });
    expect(claims.video?.roomAdmin).toBeUndefined();
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBeLessThanOrEqual(120);
  });

  it('the webhook removes a page that is not admitted, and only such pages of its own rooms', async () => {
    const { plane, rooms } = setup();
    const room = livekitRoomOf(guest.roomId);
    const m = plane.media(guest);
    await m.token();
    // Admitted: stays.
    let w = await webhook('participant_joined', room, m.identity);
    await plane.webhook(w.body, w.auth);
    expect(rooms.removed).toEqual([]);
    // Back in the waiting area: removed by the gateway, and again when it comes back.
    await m.stop(false);
    expect(rooms.removed).toEqual([[room, m.identity]]);
    w = await webhook('participant_joined', room, m.identity);
    await plane.webhook(w.body, w.auth);
    expect(rooms.removed).toHaveLength(2);
    // Callers, other identities, other rooms and other events are not the webhook's business.
    for (const [event, r, id] of [
      ['participant_joined', room, callerIdentity('p1', 'example.org')],
      ['participant_joined', room, 'someone'],
      ['participant_joined', livekitRoomOf('!other:example.org'), m.identity],
      ['participant_left', room, m.identity],
    ] as const) {
      w = await webhook(event, r, id);
      await plane.webhook(w.body, w.auth);
    }
    expect(rooms.removed).toHaveLength(2);
    expect(plane.stats.intrudersRemoved).toBe(1);
  });

  it('refuses a webhook with a wrong signature or a changed body', async () => {
    const { plane, rooms } = setup();
    const m = plane.media(guest);
    const room = livekitRoomOf(guest.roomId);
    const forged = await webhook('participant_joined', room, m.identity, 'another-secret-of-thirty-two-characters!');
    await expect(plane.webhook(forged.body, forged.auth)).rejects.toThrow();
    const real = await webhook('participant_joined', room, m.identity);
    await expect(plane.webhook(real.body.replace('EV_1', 'EV_2'), real.auth)).rejects.toThrow();
    await expect(plane.webhook(real.body, undefined)).rejects.toThrow();
    expect(rooms.removed).toEqual([]);
  });

  it('a moderator’s mute takes the microphone away until a moderator unmutes; muting oneself is the page’s', async () => {
    const { plane, rooms } = setup();
    const m = plane.media(guest);
    await m.setMuted(true, 'self');
    expect(rooms.permissions).toEqual([]);
    await m.setMuted(true, 'moderator');
    expect(rooms.permissions.at(-1)).toEqual([m.identity, [TrackSource.CAMERA, TrackSource.SCREEN_SHARE]]);
    const locked = await new TokenVerifier(KEY, SECRET).verify((await m.token()).token);
    expect(locked.video?.canPublishSources).toEqual(['camera', 'screen_share']);
    await m.setMuted(false, 'moderator');
    expect(rooms.permissions.at(-1)).toEqual([
      m.identity,
      [TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE],
    ]);
  });
});
