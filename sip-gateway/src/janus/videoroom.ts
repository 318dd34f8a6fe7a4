// VideoRoom rooms: the SFU for cameras and screen shares. Like AudioBridge rooms, only holders
// of the plugin's admin_key (the gateway) may create them; browsers never see this API.
import { z } from 'zod';
import type { JanusHandle } from './connection.ts';

export interface VideoRoomOptions {
  room: number;
  secret: string;
  description?: string;
  /** Most publishers at once: a camera and a screen per participant count separately. */
  publishers?: number;
  /** Bitrate cap per publisher, bits per second. */
  bitrate?: number;
}

export class VideoRoom {
  private readonly handle: JanusHandle;
  private readonly adminKey: string;

  constructor(handle: JanusHandle, adminKey: string) {
    this.handle = handle;
    this.adminKey = adminKey;
  }

  async createRoom(o: VideoRoomOptions): Promise<void> {
    await this.handle.message({
      request: 'create',
      admin_key: this.adminKey,
      room: o.room,
      secret: o.secret,
      description: o.description ?? `foyer-${o.room}`,
      permanent: false,
      is_private: true,
      publishers: o.publishers ?? 64,
      bitrate: o.bitrate ?? 1_024_000,
      // Keyframes every 10 s help subscribers who join late or lose packets.
      fir_freq: 10,
      videocodec: 'vp8,h264,vp9',
      audiocodec: 'opus',
    });
  }

  async destroyRoom(room: number, secret: string): Promise<void> {
    await this.handle.message({ request: 'destroy', room, secret, permanent: false });
  }

  async exists(room: number): Promise<boolean> {
    const { data } = await this.handle.message({ request: 'exists', room });
    return z.object({ exists: z.boolean() }).parse(data).exists;
  }
}
