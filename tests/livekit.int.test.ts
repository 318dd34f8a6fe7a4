// The test stack's LiveKit (one node, as `scripts/stack up` runs it by default): it answers on
// loopback, its API key and secret (from stack.json) drive the room service, and real media
// flows between two @livekit/rtc-node participants over its single UDP port.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dispose, type Room } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFile, livekitAnswers } from '../scripts/lib/stack/livekit.ts';
import { stackLayout } from '../scripts/lib/stack/layout.ts';
import { joinRoom, listen, publishTone, remoteAudio, TONE_AMPLITUDE } from './helpers/livekit.ts';
import { testStack } from './helpers/stack.ts';

const { info, env } = testStack();
const lk = info.livekit;
const http = lk.url.replace(/^ws/, 'http');
const rooms = new RoomServiceClient(http, lk.apiKey, lk.apiSecret);

describe('LiveKit in the test stack', () => {
  const opened: Room[] = [];
  afterAll(async () => {
    for (const r of opened) await r.disconnect().catch(() => undefined);
    await dispose();
  });

  it('answers on loopback, one node, with its keys kept private', async () => {
    expect(lk.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(lk.mode).toBe('single');
    expect(lk.nodes).toHaveLength(1);
    expect(lk.nodes[0]?.url).toBe(lk.url);
    expect(await livekitAnswers(lk.url)).toBe(true);
    expect(lk.apiSecret.length).toBeGreaterThanOrEqual(32);
    const l = stackLayout(env);
    expect(statSync(keyFile(l)).mode & 0o077).toBe(0);
    expect(statSync(join(l.dir, 'stack.json')).mode & 0o077).toBe(0);
  });

  it('refuses the room service without the secret, and creates, lists and deletes rooms with it', async () => {
    const wrong = new RoomServiceClient(http, lk.apiKey, 'x'.repeat(43));
    await expect(wrong.listRooms()).rejects.toThrow();
    const name = `lk-test-${crypto.randomUUID()}`;
    const created = await rooms.createRoom({ name, emptyTimeout: 60 });
    expect(created.name).toBe(name);
    expect(created.sid).toMatch(/^RM_/);
    expect((await rooms.listRooms([name])).map((r) => r.name)).toEqual([name]);
    await rooms.deleteRoom(name);
    expect(await rooms.listRooms([name])).toEqual([]);
  });

  it('carries a 1 kHz tone from one participant to another (energy measured)', async () => {
    const room = `lk-tone-${crypto.randomUUID()}`;
    const speaker = await joinRoom(lk.url, lk, room, 'speaker');
    opened.push(speaker);
    const listener = await joinRoom(lk.url, lk, room, 'listener');
    opened.push(listener);
    const tone = await publishTone(speaker, 1000);
    try {
      const track = await remoteAudio(listener, 'speaker', 15_000);
      const heard = await listen(track, 1000, 2000, 20_000);
      expect(heard.ms).toBeGreaterThanOrEqual(1900);
      // Sent at 0.3 of full scale (RMS 0.21). Opus keeps a pure tone's level, but on a loaded
      // machine the jitter buffer conceals late frames: a third of it is plenty to tell.
      expect(heard.rms).toBeGreaterThan(TONE_AMPLITUDE / Math.SQRT2 / 3);
      expect(heard.toneShare).toBeGreaterThan(0.75);
      const participants = await rooms.listParticipants(room);
      expect(participants.map((p) => p.identity).sort()).toEqual(['listener', 'speaker']);
    } finally {
      await tone.stop();
      await speaker.disconnect();
      await listener.disconnect();
      await rooms.deleteRoom(room).catch(() => undefined);
    }
  });
});
