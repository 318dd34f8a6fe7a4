// A group's room events, taken apart at the edge: the appservice checked that each is a room
// event (appservice/events.ts); here the ones the group manager acts on become typed values with
// their content validated, so the rules behind them never look into raw content.
import { z } from 'zod';
import { memberContentSchema, type RoomEvent } from '../appservice/events.ts';
import type { StateEvent } from '../matrix/api.ts';
import type { Member } from '../store/store.ts';
import { GUEST_ACCESS_EVENT } from './power.ts';

export type Membership = z.infer<typeof memberContentSchema>['membership'];

interface Base {
  /** The event's type as sent. */
  type: string;
  roomId: string;
  sender: string;
  eventId: string;
}

export type GroupEvent =
  /** A membership change of `target` (the bot, a person or a virtual user). */
  | (Base & { kind: 'member'; target: string; membership: Membership; displayName: string | null })
  /** A membership event whose content is not one (logged and skipped). */
  | (Base & { kind: 'malformed_member' })
  | (Base & { kind: 'name'; name: string | null })
  | (Base & { kind: 'power_levels' })
  /** m.room.encryption: the room is end-to-end encrypted from now on. */
  | (Base & { kind: 'encryption' })
  /** org.foyer.guest_access; its content is checked by the rules (the refusal names the problem). */
  | (Base & { kind: 'guest_access'; content: Record<string, unknown> })
  | (Base & { kind: 'message'; event: RoomEvent })
  | (Base & { kind: 'redaction'; redacts: string })
  /** Anything else: no part of a group's logic. */
  | (Base & { kind: 'other' });

const NAME_MAX = 255;
const nameContentSchema = z.looseObject({ name: z.string().optional() });
const redactionSchema = z.looseObject({ redacts: z.string() });

/** A room's name as the group keeps it: bounded, and null when unset or empty. */
export function groupName(content: Record<string, unknown> | undefined): string | null {
  const name = nameContentSchema.safeParse(content ?? {}).data?.name;
  return name ? name.slice(0, NAME_MAX) : null;
}

export function parseGroupEvent(event: RoomEvent): GroupEvent {
  const base: Base = { type: event.type, roomId: event.room_id, sender: event.sender, eventId: event.event_id };
  const roomState = event.state_key === '';
  switch (event.type) {
    case 'm.room.member': {
      if (event.state_key === undefined) break;
      const content = memberContentSchema.safeParse(event.content);
      if (!content.success) return { ...base, kind: 'malformed_member' };
      return {
        ...base,
        kind: 'member',
        target: event.state_key,
        membership: content.data.membership,
        displayName: content.data.displayname ?? null,
      };
    }
    case 'm.room.name':
      if (roomState) return { ...base, kind: 'name', name: groupName(event.content) };
      break;
    case 'm.room.power_levels':
      if (roomState) return { ...base, kind: 'power_levels' };
      break;
    case 'm.room.encryption':
      if (roomState) return { ...base, kind: 'encryption' };
      break;
    case GUEST_ACCESS_EVENT:
      if (roomState) return { ...base, kind: 'guest_access', content: event.content };
      break;
    case 'm.room.message':
      return { ...base, kind: 'message', event };
    case 'm.room.redaction': {
      // Room versions before 11 carry `redacts` on the event, later ones in the content.
      const redacts = redactionSchema.safeParse(event).data ?? redactionSchema.safeParse(event.content).data;
      if (redacts) return { ...base, kind: 'redaction', redacts: redacts.redacts };
      break;
    }
  }
  return { ...base, kind: 'other' };
}

/** The members in a room's state (membership events of another shape are left out). */
export function membersFromState(state: StateEvent[]): Member[] {
  return state
    .filter((e) => e.type === 'm.room.member')
    .map((e): Member | undefined => {
      const c = memberContentSchema.safeParse(e.content);
      return c.success
        ? { userId: e.state_key, membership: c.data.membership, displayName: c.data.displayname ?? null }
        : undefined;
    })
    .filter((m): m is Member => m !== undefined);
}
