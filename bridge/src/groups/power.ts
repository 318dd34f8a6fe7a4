// Power levels: can the bot write its state, and which changes let members request guest mode.
import { z } from 'zod';

export const powerLevelsSchema = z.looseObject({
  users: z.record(z.string(), z.number()).optional(),
  users_default: z.number().optional(),
  events: z.record(z.string(), z.number()).optional(),
  state_default: z.number().optional(),
});
export type PowerLevels = z.infer<typeof powerLevelsSchema>;

export const GUEST_ACCESS_EVENT = 'org.foyer.guest_access';
export const CONFERENCE_EVENT = 'org.foyer.conference';
export const WIDGET_EVENT = 'im.vector.modular.widgets';
export const BRIDGE_EVENT = 'm.bridge';
/** MatrixRTC call memberships (state-event mode): Element Call's members, callers' and guests' puppets. */
export const CALL_MEMBER_EVENT = 'org.matrix.msc3401.call.member';
export const BOT_STATE_EVENTS = [CONFERENCE_EVENT, WIDGET_EVENT, BRIDGE_EVENT] as const;

export function levelOf(pl: PowerLevels, userId: string): number {
  return pl.users?.[userId] ?? pl.users_default ?? 0;
}

export function stateLevel(pl: PowerLevels, type: string): number {
  return pl.events?.[type] ?? pl.state_default ?? 50;
}

/** The level the bot needs to write all of its state events. */
export function neededLevel(pl: PowerLevels): number {
  return Math.max(...BOT_STATE_EVENTS.map((t) => stateLevel(pl, t)));
}

/**
 * Power-level changes the bot wants, if it may make them: every member may send
 * org.foyer.guest_access and call memberships (pressing Call in Element, the conference's
 * callers and guests through their puppets); org.foyer.conference is the bot's alone (its own
 * level).
 * Returns undefined when nothing needs changing or the bot is not allowed to.
 */
export function desiredPowerLevels(
  pl: PowerLevels,
  botUserId: string,
  botLevel = levelOf(pl, botUserId),
): PowerLevels | undefined {
  const bot = botLevel;
  /** A room creator (room version 12) has unlimited power; its own events get 100. */
  const own = Number.isFinite(bot) ? bot : 100;
  if (bot < stateLevel(pl, 'm.room.power_levels')) return undefined;
  const memberLevel = pl.users_default ?? 0;
  const events = { ...pl.events };
  let changed = false;
  // A level may only be changed by someone at or above both the old and the new value.
  const set = (type: string, level: number) => {
    const current = stateLevel(pl, type);
    if (current !== level && bot >= current && bot >= level) {
      events[type] = level;
      changed = true;
    }
  };
  set(GUEST_ACCESS_EVENT, memberLevel);
  set(CALL_MEMBER_EVENT, memberLevel);
  set(CONFERENCE_EVENT, own);
  return changed ? { ...pl, events } : undefined;
}

/**
 * Room version 12 (MSC4289): the creator(s) have unlimited power and are not listed in the power
 * levels' `users`. True when the bot is such a creator, as in the rooms it creates itself.
 */
export function isUnlimitedCreator(
  create: { sender: string; content: Record<string, unknown> } | undefined,
  userId: string,
): boolean {
  if (!create) return false;
  const version = Number.parseInt(String(create.content.room_version ?? '1'), 10);
  if (!(version >= 12)) return false;
  const extra = Array.isArray(create.content.additional_creators) ? create.content.additional_creators : [];
  return create.sender === userId || extra.includes(userId);
}
