// AudioBridge rooms: the mix that phone callers (plain RTP) and browsers (WebRTC) share.
// Room creation is locked by the plugin's admin_key, so only the gateway can create rooms.
import { z } from 'zod';
import { RoomAdmin } from './room-admin.ts';

export interface AudioRoomOptions {
  room: number;
  /** Per-room secret needed to change or destroy it. */
  secret: string;
  description?: string;
  samplingRate?: 8000 | 16000 | 24000 | 48000;
  /** Packets buffered per participant before mixing; low keeps latency low (see field notes). */
  prebuffering?: number;
}

const roomListSchema = z.object({
  list: z.array(z.looseObject({ room: z.number(), description: z.string().optional(), num_participants: z.number() })),
});

export class AudioBridge extends RoomAdmin {
  async createRoom(o: AudioRoomOptions): Promise<void> {
    await this.create(o, {
      sampling_rate: o.samplingRate ?? 16000,
      allow_rtp_participants: true,
      default_prebuffering: o.prebuffering ?? 2,
      audiolevel_event: true,
    });
  }

  /** Rooms this plugin knows; private rooms are listed only with the admin key. */
  async listRooms(): Promise<number[]> {
    const { data } = await this.handle.message({ request: 'list', admin_key: this.adminKey });
    return roomListSchema.parse(data).list.map((r) => r.room);
  }
}
