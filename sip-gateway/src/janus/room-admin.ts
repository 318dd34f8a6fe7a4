// What the AudioBridge and VideoRoom plugins share for their rooms: creation locked by the
// plugins' admin_key, destruction by the room's secret, an existence check.
import { z } from 'zod';
import type { JanusHandle } from './connection.ts';

export abstract class RoomAdmin {
  protected readonly handle: JanusHandle;
  protected readonly adminKey: string;

  constructor(handle: JanusHandle, adminKey: string) {
    this.handle = handle;
    this.adminKey = adminKey;
  }

  /** A private, non-permanent room (Janus forgets it on restart; we recreate it on demand). */
  protected async create(o: { room: number; secret: string; description?: string }, settings: object): Promise<void> {
    await this.handle.message({
      request: 'create',
      admin_key: this.adminKey,
      room: o.room,
      secret: o.secret,
      description: o.description ?? `foyer-${o.room}`,
      permanent: false,
      is_private: true,
      ...settings,
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
