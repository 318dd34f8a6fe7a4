// Reacting to room events: for now, becoming part of a group when a local user invites the bot
// and declining invitations from other servers. Guest mode and the rest build on this.
import type { MatrixClient } from 'matrix-js-sdk';
import type { Logger } from '@foyer/common';
import { memberContentSchema, serverOf, type RoomEvent } from './appservice/events.ts';
import type { BridgeStore } from './store/store.ts';

export interface GroupHandlerDeps {
  bot: MatrixClient;
  botUserId: string;
  serverName: string;
  store: BridgeStore;
  log: Logger;
}

export class GroupEventHandler {
  private readonly deps: GroupHandlerDeps;
  constructor(deps: GroupHandlerDeps) {
    this.deps = deps;
  }

  async handle(event: RoomEvent): Promise<void> {
    if (event.type === 'm.room.member' && event.state_key === this.deps.botUserId) {
      await this.onBotMembership(event);
    }
  }

  private async onBotMembership(event: RoomEvent): Promise<void> {
    const { bot, log, serverName, store } = this.deps;
    const content = memberContentSchema.safeParse(event.content);
    if (!content.success || content.data.membership !== 'invite') return;
    if (serverOf(event.sender) !== serverName) {
      log.info({ roomId: event.room_id, sender: event.sender }, 'declining an invitation from another server');
      await bot.leave(event.room_id);
      return;
    }
    await bot.joinRoom(event.room_id);
    await store.upsertGroup(event.room_id, null);
    log.info({ roomId: event.room_id, inviter: event.sender }, 'joined a new group');
  }
}
