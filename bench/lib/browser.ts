// Browser-like participants for the conference benchmark: each is a guest on the conference
// WebSocket (admitted like a page), asks for its LiveKit token as the page does, connects with
// @livekit/rtc-node and publishes a quiet tone as its microphone. Unlike Foyer's page
// (livekit-client subscribes to every track), they subscribe only to the callers they listen
// to: these participants share the benchmark's process (and its 2 cores) with the probe
// callers, and decoding every talking caller's track in four of them starved the probes' 20 ms
// clock (bench/README.md). One of them records, per 10 ms of decoded audio, whether each
// listened-to caller's tone is in it (the same judgement as the probes': bench/lib/measure.ts).
import { performance } from 'node:perf_hooks';
import { AudioStream, Room, TrackKind, type RemoteTrack } from '@livekit/rtc-node';
import { ConferenceClient } from '../../tests/helpers/conference.ts';
import { publishTone, remoteAudio, type Tone } from '../../tests/helpers/livekit.ts';
import type { StackInfo } from '../../tests/helpers/stack.ts';
import { SAMPLE_RATE, toneIn, WINDOW_SAMPLES } from './measure.ts';

export class BenchBrowser {
  /** Per listened-to caller's tone: when a window containing it was played out (performance.now()). */
  readonly heard = new Map<number, number[]>();
  readonly #readers: ReadableStreamDefaultReader<{ data: Int16Array }>[] = [];
  #tone: Tone | undefined;

  readonly socket: ConferenceClient;
  readonly room: Room;

  private constructor(socket: ConferenceClient, room: Room) {
    this.socket = socket;
    this.room = room;
  }

  /** A guest with the group's link: admitted (a moderator is there), then in the LiveKit room. */
  static async join(info: StackInfo, joinToken: string, name: string): Promise<BenchBrowser> {
    const socket = await ConferenceClient.asGuest(info, joinToken, name);
    socket.send({ type: 'join' });
    await socket.state((s) => s.admitted, 30_000);
    socket.send({ type: 'media.token', rid: 1 });
    const grant = await socket.next((m) => (m.type === 'media.livekit' || m.type === 'error') && 'rid' in m);
    if (grant.type !== 'media.livekit') throw new Error(`${name}: no LiveKit token: ${JSON.stringify(grant)}`);
    const room = new Room();
    await room.connect(grant.url, grant.token, { autoSubscribe: false, dynacast: false });
    return new BenchBrowser(socket, room);
  }

  /** Publish a continuous tone of `hz` at `amplitude` (share of full scale) as the microphone. */
  async speak(hz: number, amplitude: number): Promise<void> {
    this.#tone = await publishTone(this.room, hz, amplitude);
  }

  /** Judge `identity`'s audio for its tone of `hz`, from now until close. */
  async listenTo(identity: string, hz: number, timeoutMs = 20_000): Promise<void> {
    const subscribed = remoteAudio(this.room, identity, timeoutMs);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const pub = [...(this.room.remoteParticipants.get(identity)?.trackPublications.values() ?? [])].find(
        (p) => p.kind === TrackKind.KIND_AUDIO,
      );
      if (pub) {
        pub.setSubscribed(true);
        break;
      }
      if (performance.now() > deadline) throw new Error(`${identity} publishes no audio`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const track: RemoteTrack = await subscribed;
    const reader = new AudioStream(track, SAMPLE_RATE, 1).getReader();
    this.#readers.push(reader);
    const times: number[] = [];
    this.heard.set(hz, times);
    // 10 ms frames; a 20 ms window over the last two, so a window is judged every 10 ms.
    const window = new Int16Array(WINDOW_SAMPLES);
    let filled = 0;
    void (async () => {
      for (;;) {
        const next = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) return;
        const data = next.value.data;
        const n = Math.min(data.length, WINDOW_SAMPLES);
        window.copyWithin(0, n);
        window.set(data.subarray(data.length - n), WINDOW_SAMPLES - n);
        filled = Math.min(WINDOW_SAMPLES, filled + n);
        if (filled === WINDOW_SAMPLES && toneIn(window, hz)) times.push(performance.now());
      }
    })();
  }

  async close(): Promise<void> {
    for (const r of this.#readers) await r.cancel().catch(() => undefined);
    await this.#tone?.stop().catch(() => undefined);
    await this.room.disconnect().catch(() => undefined);
    await this.socket.close();
  }
}
