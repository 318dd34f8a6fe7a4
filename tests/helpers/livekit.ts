// Real LiveKit participants for the media-plane tests: tokens from livekit-server-sdk, and
// @livekit/rtc-node rooms that publish a tone from an AudioSource or measure what an
// AudioStream delivers (RMS, and how much of it is the tone's frequency).
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type RemoteTrack,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { goertzel } from '../../sip-gateway/src/media/audio.ts';

export interface LivekitKeys {
  apiKey: string;
  apiSecret: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const SAMPLE_RATE = 48_000;
/** The tone's amplitude, as a share of full scale (RMS of a sine: amplitude / √2). */
export const TONE_AMPLITUDE = 0.3;

export async function livekitToken(keys: LivekitKeys, identity: string, room: string, ttlSeconds = 600) {
  const at = new AccessToken(keys.apiKey, keys.apiSecret, { identity, ttl: ttlSeconds });
  at.addGrant({ room, roomJoin: true, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

export async function joinRoom(
  url: string,
  keys: LivekitKeys,
  room: string,
  identity: string,
  autoSubscribe = true,
): Promise<Room> {
  const r = new Room();
  await r.connect(url, await livekitToken(keys, identity, room), { autoSubscribe, dynacast: false });
  return r;
}

export interface Tone {
  stop(): Promise<void>;
}

/** Publish a sine of `hz` (`amplitude`: share of full scale) as the participant's microphone, fed in real time in 10 ms frames. */
export async function publishTone(room: Room, hz: number, amplitude = TONE_AMPLITUDE): Promise<Tone> {
  const source = new AudioSource(SAMPLE_RATE, 1, 200);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const participant = room.localParticipant;
  if (!participant) throw new Error('publishTone: the room is not connected');
  await participant.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
  const n = SAMPLE_RATE / 100;
  let phase = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++)
        data[i] = Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * hz * ((phase + i) / SAMPLE_RATE)));
      phase += n;
      await source.captureFrame(new AudioFrame(data, SAMPLE_RATE, 1, n)); // waits while its queue is full
    }
  })();
  return {
    async stop() {
      running = false;
      // captureFrame waits while the source's queue is full, and a room that lost its connection
      // may never drain it: closing the source ends the wait.
      const ended = await Promise.race([
        loop.then(
          () => true,
          () => true,
        ),
        sleep(2000).then(() => false),
      ]);
      await source.close();
      if (!ended) await Promise.race([loop.catch(() => undefined), sleep(2000)]);
    },
  };
}

/** The first audio track of `identity` the room subscribes to (already or later), within `timeoutMs`. */
export function remoteAudio(room: Room, identity: string, timeoutMs: number): Promise<RemoteTrack> {
  for (const p of room.remoteParticipants.values()) {
    if (p.identity !== identity) continue;
    for (const pub of p.trackPublications.values())
      if (pub.track && pub.kind === TrackKind.KIND_AUDIO) return Promise.resolve(pub.track);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      room.off(RoomEvent.TrackSubscribed, on);
      reject(new Error(`no audio track of ${identity} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (track: RemoteTrack, _pub: unknown, participant: { identity: string }) => {
      if (participant.identity !== identity || track.kind !== TrackKind.KIND_AUDIO) return;
      clearTimeout(timer);
      room.off(RoomEvent.TrackSubscribed, on);
      resolve(track);
    };
    room.on(RoomEvent.TrackSubscribed, on);
  });
}

export interface Heard {
  /** RMS of the samples after the first audible frame, as a share of full scale. */
  rms: number;
  /** Share of the signal's energy at the tone's frequency (Goertzel, per 10 ms frame). */
  toneShare: number;
  /** Milliseconds of audio measured. */
  ms: number;
}

/**
 * Listen to `track` for `ms` of audio after the first audible frame (or until `timeoutMs`):
 * what arrives, how loud, and how much of it is the tone.
 */
export async function listen(track: RemoteTrack, hz: number, ms: number, timeoutMs: number): Promise<Heard> {
  const stream = new AudioStream(track, SAMPLE_RATE, 1);
  const reader = stream.getReader();
  let sumSq = 0;
  let tone = 0;
  let samples = 0;
  const deadline = Date.now() + timeoutMs;
  try {
    while (samples < (SAMPLE_RATE * ms) / 1000 && Date.now() < deadline) {
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now()))),
      ]);
      if (next === 'timeout' || next.done) break;
      const data = next.value.data;
      let frameSq = 0;
      for (const v of data) frameSq += v * v;
      if (samples === 0 && Math.sqrt(frameSq / data.length) < 100) continue; // silence before the tone
      sumSq += frameSq;
      tone += Math.min(frameSq, goertzel(data, hz, next.value.sampleRate) * data.length); // as a sum of squares
      samples += data.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return {
    rms: samples ? Math.sqrt(sumSq / samples) / 32768 : 0,
    toneShare: sumSq ? tone / sumSq : 0,
    ms: (samples / SAMPLE_RATE) * 1000,
  };
}
