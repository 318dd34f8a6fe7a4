// Group actions on the homeserver: create (with the bot at power 100), guest mode, mute.
import { Preset, PushRuleKind, type MatrixClient } from 'matrix-js-sdk';
import './matrix-types.ts';

/**
 * The `users` of a new group's power levels. From room version 12 on (Synapse's default from
 * 1.163) the creator has unlimited power and must not be listed; before, the override replaces
 * Synapse's own `users` map, so the creator must be listed with 100 or would lose their power.
 */
export function groupPowerUsers(roomVersion: string, creator: string, botUserId: string): Record<string, number> {
  const major = Number.parseInt(roomVersion, 10);
  const creatorsPrivileged = (Number.isFinite(major) && major >= 12) || /hydra/i.test(roomVersion);
  return creatorsPrivileged ? { [botUserId]: 100 } : { [creator]: 100, [botUserId]: 100 };
}

/** A new group: the bot is invited and gets power level 100. */
export async function createGroup(
  client: MatrixClient,
  botUserId: string,
  name: string,
  members: string[],
): Promise<string> {
  const capabilities = await client.getCapabilities().catch(() => undefined);
  const version = capabilities?.['m.room_versions']?.default ?? '12';
  const { room_id: roomId } = await client.createRoom({
    name,
    preset: Preset.PrivateChat,
    invite: [...members.filter((m) => m !== botUserId), botUserId],
    power_level_content_override: { users: groupPowerUsers(version, client.getSafeUserId(), botUserId) },
  });
  return roomId;
}

/**
 * Ask the bot for guest mode. `regenerate`: new PIN and link (and moderator PIN); `moderatorPin`:
 * turn the second PIN on or off (left out: the bot keeps it as it is).
 */
export function setGuestAccess(
  client: MatrixClient,
  roomId: string,
  request: { enabled: boolean; regenerate?: boolean; moderatorPin?: boolean },
) {
  const content = {
    enabled: request.enabled,
    ...(request.regenerate ? { regenerate: true } : {}),
    ...(request.moderatorPin === undefined ? {} : { moderator_pin: request.moderatorPin }),
  };
  return client.sendStateEvent(roomId, 'org.foyer.guest_access', content, '');
}

/** Mute: a room rule without actions, which every client of the user obeys. */
export async function setMuted(client: MatrixClient, roomId: string, muted: boolean): Promise<void> {
  if (muted) await client.addPushRule('global', PushRuleKind.RoomSpecific, roomId, { actions: [] });
  else await client.deletePushRule('global', PushRuleKind.RoomSpecific, roomId);
  client.pushRules = await client.getPushRules();
}
