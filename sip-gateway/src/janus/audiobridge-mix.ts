// Callers mixed by Janus's AudioBridge: each leg a plain-RTP participant of the group's room.
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { CallerJoin, CallerMix, CallerMixEvents, MixLeg } from '../conference/mix.ts';
import type { ConferenceRooms } from '../conference/rooms.ts';
import type { JanusService } from './janus-service.ts';

const joinAnswerSchema = z.looseObject({
  audiobridge: z.literal('joined'),
  id: z.number(),
  rtp: z.object({ ip: z.string(), port: z.number(), payload_type: z.number().optional() }).optional(),
});

export class MixUnavailableError extends Error {
  override name = 'MixUnavailableError';
}

export class AudioBridgeMix extends EventEmitter<CallerMixEvents> implements CallerMix {
  readonly plane = 'janus';
  private readonly janus: JanusService;
  private readonly rooms: ConferenceRooms;
  /** Our relay's address as Janus sees it. */
  private readonly relayAddress: string;

  constructor(o: { janus: JanusService; rooms: ConferenceRooms; relayAddress: string }) {
    super();
    this.janus = o.janus;
    this.rooms = o.rooms;
    this.relayAddress = o.relayAddress;
    o.janus.on('down', () => this.emit('down'));
    o.janus.on('up', () => this.emit('up'));
  }

  get available(): boolean {
    return this.janus.connected;
  }

  identity(): undefined {
    return undefined;
  }

  async join(j: CallerJoin): Promise<MixLeg> {
    const room = await this.rooms.ensure(j.roomId);
    const handle = await this.janus.attach('janus.plugin.audiobridge');
    try {
      const { data } = await handle.message({
        request: 'join',
        room: room.janusRoom,
        display: `phone ${j.participantId}`,
        codec: 'pcmu',
        rtp: { ip: this.relayAddress, port: j.relayPort, payload_type: 0 },
      });
      const joined = joinAnswerSchema.safeParse(data);
      // Janus answers "joined" without an rtp object when its port range is exhausted.
      if (!joined.success || !joined.data.rtp) throw new MixUnavailableError('Janus gave this leg no RTP port');
      const janus = this.janus;
      return {
        remote: { address: joined.data.rtp.ip, port: joined.data.rtp.port },
        // The relay sends silence for a muted caller; Janus needs to know nothing.
        setMuted: () => undefined,
        async leave() {
          if (!janus.connected) return;
          await handle.message({ request: 'leave' }).catch(() => undefined);
          await handle.detach();
        },
      };
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }
}
