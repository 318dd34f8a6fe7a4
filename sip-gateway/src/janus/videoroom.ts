// VideoRoom rooms: the SFU for cameras and screen shares. Like AudioBridge rooms, only holders
// of the plugin's admin_key (the gateway) may create them; browsers never see this API.
import { RoomAdmin } from './room-admin.ts';

export interface VideoRoomOptions {
  room: number;
  secret: string;
  description?: string;
  /** Most publishers at once: a camera and a screen per participant count separately. */
  publishers?: number;
  /** Bitrate cap per publisher, bits per second. */
  bitrate?: number;
}

export class VideoRoom extends RoomAdmin {
  async createRoom(o: VideoRoomOptions): Promise<void> {
    await this.create(o, {
      publishers: o.publishers ?? 64,
      bitrate: o.bitrate ?? 1_024_000,
      // Keyframes every 10 s help subscribers who join late or lose packets.
      fir_freq: 10,
      videocodec: 'vp8,h264,vp9',
      audiocodec: 'opus',
    });
  }
}
