// Where callers' audio is mixed: the media plane's side of a phone call. The relay's mix side
// sends the caller's PCMU to one UDP address and gets back what the caller hears (everybody but
// themself). The LiveKit media agent (livekit/agent-mix.ts) is that side; the conference only
// joins and leaves legs through this contract, and its tests put a fake behind it.
import type { EventEmitter } from 'node:events';

export interface MixLeg {
  /** Where the relay's mix side sends the caller's audio (and whence it accepts the mix). */
  readonly remote: { address: string; port: number };
  /** The caller's voice in or out of the conference as the media plane shows it. */
  setMuted(muted: boolean): void;
  /** Out of the mix; best effort (a media plane that went away has dropped the leg already). */
  leave(): Promise<void>;
}

export interface CallerJoin {
  /** The group (Matrix room) whose conference this is. */
  roomId: string;
  /** The gateway's participant ID (the caller's virtual user is @…_phone_<id>). */
  participantId: string;
  /** As the conference shows the caller (masked number). */
  displayName: string;
  /** The relay's mix-side UDP port. */
  relayPort: number;
  muted: boolean;
}

export interface CallerMixEvents {
  /** The mix went away (every leg is gone). */
  down: [];
  /** The mix is back: legs can join again. */
  up: [];
  /** One caller's leg stopped working while the mix stayed (it should be joined again). */
  legFailed: [participantId: string];
  /**
   * One caller's leg lost the media plane's room for a while (its media server died; the media
   * plane is joining it again by itself): the caller hears hold music until 'legRestored'.
   */
  legInterrupted: [participantId: string];
  /** The leg is in the room again. */
  legRestored: [participantId: string];
  /** LiveKit muted or unmuted a caller itself (its room service: a moderator in another client). */
  mutedByMediaPlane: [participantId: string, muted: boolean];
}

export interface CallerMix extends EventEmitter<CallerMixEvents> {
  /** New legs can join now: 'down' when this turns false, 'up' when it is true again. */
  readonly available: boolean;
  join(j: CallerJoin): Promise<MixLeg>;
  /** The caller's identity in the group's LiveKit room (their track and active-speaker entry). */
  identity(participantId: string): string;
}
