// The gateway's conference rooms against the real Janus of the test stack.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, openDatabase, type Knex } from '@foyer/common';
import { testStack } from '../../tests/helpers/stack.ts';
import { ConferenceRooms } from '../src/conference/rooms.ts';
import { AudioBridge } from '../src/janus/audiobridge.ts';
import { JanusConnection } from '../src/janus/connection.ts';
import { JanusError } from '../src/janus/protocol.ts';
import { JanusService } from '../src/janus/janus-service.ts';

const { config } = testStack();
const cfg = config.gateway;

describe('AudioBridge rooms in Janus', () => {
  let db: Knex;
  let janus: JanusService;
  let rooms: ConferenceRooms;

  beforeAll(async () => {
    db = openDatabase(cfg.database);
    janus = new JanusService({ url: cfg.janus.url, apiSecret: cfg.janus.apiSecret, log: createLogger('test', 'warn') });
    await janus.start();
    expect(janus.connected).toBe(true);
    rooms = new ConferenceRooms(db, janus, cfg.janus.roomAdminKey);
  });

  afterAll(async () => {
    await janus.stop();
    await db.destroy();
  });

  it('creates a group’s room and removes it again', async () => {
    const groupId = `!audio${randomBytes(4).toString('hex')}:localhost`;
    const room = await rooms.ensure(groupId);
    expect(await rooms.listJanusRooms()).toContain(room.janusRoom);
    // Asking again gives the same room, not a second one.
    expect((await rooms.ensure(groupId)).janusRoom).toBe(room.janusRoom);

    expect(await rooms.remove(groupId)).toBe(true);
    expect(await rooms.listJanusRooms()).not.toContain(room.janusRoom);
    expect(await rooms.remove(groupId)).toBe(false);
  });

  it('recreates a room Janus lost under the same number', async () => {
    const groupId = `!lost${randomBytes(4).toString('hex')}:localhost`;
    const room = await rooms.ensure(groupId);
    // Destroy it behind the gateway's back, as a Janus restart would.
    const handle = await janus.attach('janus.plugin.audiobridge');
    await new AudioBridge(handle, cfg.janus.roomAdminKey).destroyRoom(room.janusRoom, room.secret);
    expect(await rooms.listJanusRooms()).not.toContain(room.janusRoom);
    expect((await rooms.ensure(groupId)).janusRoom).toBe(room.janusRoom);
    expect(await rooms.listJanusRooms()).toContain(room.janusRoom);
    await rooms.remove(groupId);
  });

  it('cannot create rooms without the admin key, nor talk to Janus without the API secret', async () => {
    const handle = await janus.attach('janus.plugin.audiobridge');
    const intruder = new AudioBridge(handle, 'not-the-admin-key-but-long-enough-to-pass');
    await expect(intruder.createRoom({ room: 999_999_001, secret: 's' })).rejects.toBeInstanceOf(JanusError);

    const conn = await JanusConnection.connect(cfg.janus.url, { apiSecret: 'wrong-secret', timeoutMs: 3000 });
    try {
      await expect(conn.createSession()).rejects.toMatchObject({ code: 403 });
    } finally {
      await conn.close();
    }
  });
});
