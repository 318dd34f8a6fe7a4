// Foyer's own events, made known to matrix-js-sdk's typed event maps.
import type { DraftContent } from './drafts.ts';

export interface FoyerConferenceContent {
  guest_access?: boolean;
  dial_in?: { number: string; pin: string } | null;
  join_url?: string | null;
  status?: string;
  waiting?: number;
  /** A moderator PIN exists (the PIN itself is never in room state). */
  moderator_pin?: boolean;
}

declare module 'matrix-js-sdk/lib/@types/event.js' {
  interface StateEvents {
    'org.foyer.guest_access': { enabled: boolean; regenerate?: boolean; moderator_pin?: boolean };
    'org.foyer.conference': FoyerConferenceContent;
  }
  interface RoomAccountDataEvents {
    'org.foyer.draft': DraftContent;
  }
}
