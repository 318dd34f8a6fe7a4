// Who is in a conference: phone callers (an RTP relay and a mix leg each) and browsers (their media in LiveKit).
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { ServerMessage } from '@foyer/common/conference-protocol';
import type { Relay } from '../media/relay-host.ts';
import type { IncomingCall } from '../sip/types.ts';
import type { BrowserMedia } from './browser-media.ts';
import type { MixLeg } from './mix.ts';

/** Participant IDs become Matrix localparts (@foyer_phone_<id>): lowercase letters and digits. */
export function newParticipantId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let id = '';
  for (const b of bytes) id += alphabet[b % 36]; // 36 does not divide 256: bias < 1 %, irrelevant for IDs
  return id;
}

export interface PhoneParticipant {
  id: string;
  kind: 'phone';
  /** The group (Matrix room) whose conference this is. */
  roomId: string;
  number: string | null;
  call: IncomingCall;
  relay: Relay;
  /** The caller's keys (RFC 4733 and SIP INFO), for the keypad controls. */
  keys: EventEmitter<{ digit: [string] }>;
  /** Entered with a moderator PIN: starts the conference, may lock it and mute everyone. */
  moderator: boolean;
  /** Muted by a moderator: *6 cannot unmute until a moderator does. */
  mutedByModerator?: boolean;
  /** The caller's recorded name (mu-law), for the announcement on join and leave. */
  name?: Buffer;
  /** The caller's leg in the mix (the media agent's), while it is in. */
  leg?: MixLeg;
  /** How often the caller's leg failed and was joined again (conference.rejoinMix). */
  rejoins?: number;
  /** The leg lost the media plane's room and is rejoining (conference.legInterrupted): on hold meanwhile. */
  interrupted?: boolean;
  joinedAt: number;
}

/** A browser on the conference page: a guest by link, or a member through the widget. */
export interface WebParticipant {
  id: string;
  kind: 'guest' | 'staff' | 'federated';
  name: string;
  /** Matrix user ID of members (staff and federated). */
  userId?: string;
  moderator: boolean;
  muted: boolean;
  /** Muted by a moderator: the page cannot unmute itself until a moderator does. */
  mutedByModerator?: boolean;
  media: BrowserMedia;
  /** Chat messages sent but not yet seen back from the room, oldest first. */
  pendingChat: { txnId: string; body: string }[];
  /** To this participant's page. */
  send(m: ServerMessage): void;
  joinedAt: number;
}

export type Participant = PhoneParticipant | WebParticipant;
