// One AudioBridge room (the audio mix) and one VideoRoom room (the SFU) per group's conference,
// under the same number, created in Janus on demand and recreated if Janus restarted in between.
import { randomBytes } from 'node:crypto';
import type { Knex } from '@foyer/common';
import { AudioBridge } from '../janus/audiobridge.ts';
import type { JanusService } from '../janus/janus-service.ts';
import { VideoRoom } from '../janus/videoroom.ts';

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
  private video: VideoRoom | undefined;
  private readonly ensuring = new Map<string, Promise<ConferenceRoom>>();

  constructor(db: Knex, janus: JanusService, adminKey: string) {
    this.db = db;
    this.janus = janus;
    this.adminKey = adminKey;
    janus.on('down', () => {
      this.bridge = undefined;
      this.video = undefined;
    });
  }

  private async audioBridge(): Promise<AudioBridge> {
    this.bridge ??= new AudioBridge(await this.janus.attach('janus.plugin.audiobridge'), this.adminKey);
    return this.bridge;
  }

  private async videoRoom(): Promise<VideoRoom> {
    this.video ??= new VideoRoom(await this.janus.attach('janus.plugin.videoroom'), this.adminKey);
    return this.video;
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

  /** The group's rooms, existing in Janus when this resolves. */
  ensure(groupId: string): Promise<ConferenceRoom> {
    // Concurrent joins share one check-and-create, so Janus never sees the same room created twice.
    let pending = this.ensuring.get(groupId);
    if (!pending) {
      pending = this.create(groupId).finally(() => this.ensuring.delete(groupId));
      this.ensuring.set(groupId, pending);
    }
    return pending;
  }

  private async create(groupId: string): Promise<ConferenceRoom> {
    const room = await this.record(groupId);
    const description = `foyer ${groupId}`.slice(0, 100);
    const ab = await this.audioBridge();
    if (!(await ab.exists(room.janusRoom))) {
      await ab.createRoom({ room: room.janusRoom, secret: room.secret, description });
    }
    const vr = await this.videoRoom();
    if (!(await vr.exists(room.janusRoom)))
      await vr.createRoom({ room: room.janusRoom, secret: room.secret, description });
    return room;
  }

  /** Destroy the group's rooms in Janus (if there) and forget it. */
  async remove(groupId: string): Promise<boolean> {
    const room = (await this.db('conference_rooms').where({ group_id: groupId }).first()) as
      { janus_room: string | number; secret: string } | undefined;
    if (!room) return false;
    const ab = await this.audioBridge();
    if (await ab.exists(Number(room.janus_room))) await ab.destroyRoom(Number(room.janus_room), room.secret);
    const vr = await this.videoRoom();
    if (await vr.exists(Number(room.janus_room))) await vr.destroyRoom(Number(room.janus_room), room.secret);
    await this.db('conference_rooms').where({ group_id: groupId }).delete();
    return true;
  }

  async listJanusRooms(): Promise<number[]> {
    return (await this.audioBridge()).listRooms();
  }
}
