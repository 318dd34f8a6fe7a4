// The rules of guest mode and the moderator PIN, as pure functions: (group, request, sender) →
// decision. No store, no homeserver: the group manager carries the decision out (guest-mode.ts)
// and these are unit-tested branch by branch (bridge/test/guest-access-rules.test.ts).
import { safeEqual } from '@foyer/common';
import type { Group } from '../store/store.ts';
import { guestAccessContentSchema, PIN_PATTERN, TOKEN_PATTERN, unknownKeys } from './guest-access.ts';
import type { MemberKind } from './identity.ts';

/** Who asks: what kind of user (from the ID) and their membership in the group, if any. */
export interface RequestSender {
  kind: MemberKind;
  membership: string | undefined;
}

export type GuestAccessState = Pick<Group, 'guestAccess' | 'moderatorPin'>;

/** What a request changes, once it is allowed and well-formed. */
export type GuestAccessChange =
  /**
   * New guest PIN and link: guest access turned on, or (`rotate`) renewed, which cuts off
   * whoever came in with the old ones. `moderatorPin`: the new credentials include one;
   * `moderatorPinAdded`: the group had none before (members are told).
   */
  | { kind: 'enable'; rotate: boolean; moderatorPin: boolean; moderatorPinAdded: boolean }
  /** Guest access off: PIN, link and moderator PIN revoked, everyone let in by them leaves. */
  | { kind: 'disable' }
  /** Only the moderator PIN starts or stops working; callers already in keep their role. */
  | { kind: 'moderator_pin'; on: boolean }
  /** Nothing changes (the conference state is rewritten all the same). */
  | { kind: 'none' };

export type GuestAccessDecision =
  /** The bot's own request: nothing to do. */
  | { kind: 'ignore' }
  /** Only staff of our server who are joined members may change guest access. */
  | { kind: 'refuse'; reason: 'federated' }
  | { kind: 'refuse'; reason: 'not_member' }
  | { kind: 'refuse'; reason: 'invalid'; problem: string }
  /** Allowed: the change, and fields of the request nobody knows (logged, not fatal). */
  | { kind: 'apply'; change: GuestAccessChange; unknownKeys: string[] };

export function decideGuestAccess(
  group: GuestAccessState,
  content: Record<string, unknown>,
  sender: RequestSender,
): GuestAccessDecision {
  if (sender.kind === 'bot') return { kind: 'ignore' };
  if (sender.kind === 'federated') return { kind: 'refuse', reason: 'federated' };
  if (sender.kind !== 'staff' || sender.membership !== 'join') return { kind: 'refuse', reason: 'not_member' };
  const parsed = guestAccessContentSchema.safeParse(content);
  if (!parsed.success)
    return { kind: 'refuse', reason: 'invalid', problem: parsed.error.issues[0]?.message ?? 'invalid' };
  const { enabled, regenerate, moderator_pin: moderatorPin } = parsed.data;
  return {
    kind: 'apply',
    change: guestAccessChange(group, enabled, regenerate, moderatorPin),
    unknownKeys: unknownKeys(content),
  };
}

function guestAccessChange(
  group: GuestAccessState,
  enabled: boolean,
  regenerate: boolean | undefined,
  moderatorPin: boolean | undefined,
): GuestAccessChange {
  const hasModeratorPin = hasModeratorPinNow(group);
  if (enabled && (!group.guestAccess || regenerate)) {
    // Absent moderator_pin keeps what the group has.
    const withModeratorPin = moderatorPin ?? hasModeratorPin;
    return {
      kind: 'enable',
      rotate: group.guestAccess,
      moderatorPin: withModeratorPin,
      moderatorPinAdded: withModeratorPin && !hasModeratorPin,
    };
  }
  if (!enabled && group.guestAccess) return { kind: 'disable' };
  if (enabled && moderatorPin !== undefined && moderatorPin !== hasModeratorPin)
    return { kind: 'moderator_pin', on: moderatorPin };
  return { kind: 'none' };
}

/** A moderator PIN counts only while guest access is on. */
export function hasModeratorPinNow(group: GuestAccessState): boolean {
  return group.guestAccess && group.moderatorPin !== null;
}

/**
 * The role a dialled PIN gives in the group it was found for: its guest PIN makes a
 * participant, its moderator PIN a moderator; anything else (or a PIN of the wrong form), none.
 */
export function pinRole(
  group: Pick<Group, 'pin' | 'moderatorPin'>,
  pin: string,
): 'participant' | 'moderator' | undefined {
  if (!PIN_PATTERN.test(pin)) return undefined;
  if (group.pin !== null && safeEqual(group.pin, pin)) return 'participant';
  if (group.moderatorPin !== null && safeEqual(group.moderatorPin, pin)) return 'moderator';
  return undefined;
}

/** Whether a guest link's token is the group's current one. */
export function linkMatches(group: Pick<Group, 'linkToken'>, token: string): boolean {
  return TOKEN_PATTERN.test(token) && group.linkToken !== null && safeEqual(group.linkToken, token);
}
