// One AudioBridge room per group's conference, created in Janus on demand and recreated under
// the same number if Janus restarted in between.
import { randomBytes } from 'node:crypto';
import type { Knex } from '@foyer/common';
import { AudioBridge } from '../janus/audiobridge.ts';
import type { JanusService } from '../janus/janus-service.ts';

export interface ConferenceRoom {
  groupId: string;
  janusRoom: number;
  secret: string;
}

export class ConferenceRooms {
  private readonly db: Knex;
  private readonly janus: JanusService;
  private readonly adminKey: string;
  private bridge: AudioBridge | undefined;

  constructor(db: Knex, janus: JanusService, adminKey: string) {
    this.db = db;
    this.janus = janus;
    this.adminKey = adminKey;
    janus.on('down', () => {
      this.bridge = undefined;
    });
  }

  private async audioBridge(): Promise<AudioBridge> {
    this.bridge ??= new AudioBridge(await this.janus.attach('janus.plugin.audiobridge'), this.adminKey);
    return this.bridge;
  }

  private async record(groupId: string): Promise<ConferenceRoom> {
    const existing = (await this.db('conference_rooms').where({ group_id: groupId }).first()) as
      { group_id: string; janus_room: string | number; secret: string } | undefined;
    const row =
      existing ??
      ((
        await this.db('conference_rooms')
          .insert({ group_id: groupId, secret: randomBytes(24).toString('base64url') })
          .onConflict('group_id')
          .merge()
          .returning(['group_id', 'janus_room', 'secret'])
      )[0] as { group_id: string; janus_room: string | number; secret: string });
    return { groupId: row.group_id, janusRoom: Number(row.janus_room), secret: row.secret };
  }

  /** The group's room, existing in Janus when this resolves. */
  async ensure(groupId: string): Promise<ConferenceRoom> {
    const room = await this.record(groupId);
    const ab = await this.audioBridge();
    if (!(await ab.exists(room.janusRoom))) {
      await ab.createRoom({ room: room.janusRoom, secret: room.secret, description: `foyer ${groupId}`.slice(0, 100) });
    }
    return room;
  }

  /** Destroy the group's room in Janus (if there) and forget it. */
  async remove(groupId: string): Promise<boolean> {
    const room = (await this.db('conference_rooms').where({ group_id: groupId }).first()) as
      { janus_room: string | number; secret: string } | undefined;
    if (!room) return false;
    const ab = await this.audioBridge();
    if (await ab.exists(Number(room.janus_room))) await ab.destroyRoom(Number(room.janus_room), room.secret);
    await this.db('conference_rooms').where({ group_id: groupId }).delete();
    return true;
  }

  async listJanusRooms(): Promise<number[]> {
    return (await this.audioBridge()).listRooms();
  }
}
