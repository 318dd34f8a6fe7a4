// What the conference page knows about its session, as one plain object. The page wraps it in
// `$state`, so every change the session controller makes shows up in the UI; tests use it as is.
// No DOM types in here: the unit tests compile this file without the browser's type library.
import type { ChatLine, ErrorCode, ParticipantView, ServerMessage } from '@foyer/common/conference-protocol';

export type Welcome = Extract<ServerMessage, { type: 'welcome' }>;
export type ConferenceState = Extract<ServerMessage, { type: 'state' }>;
export type RemovedReason = Extract<ServerMessage, { type: 'removed' }>['reason'];

/** What the page shows; see phaseOf. */
export type Phase = 'connecting' | 'start' | 'joining' | 'waiting' | 'conference' | 'ended' | 'error';

/** Why the page shows the "ended" screen: the person left, or the gateway said `removed`. */
export type EndReason = 'left' | RemovedReason;

/** Errors that end the session (the page shows them and does not reconnect). */
export type PageErrorCode =
  | 'link_revoked'
  | 'licence_cap'
  | 'forbidden'
  | 'unauthenticated'
  | 'not_found'
  | 'rejected'
  | 'rate_limited'
  | 'not_in_widget'
  | 'widget_params'
  | 'openid_refused'
  | 'widget_failed'
  | 'unreachable';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Getting the hello's credentials: only the widget has to ask (and maybe wait for the person). */
export type AuthStatus = 'idle' | 'requesting' | 'confirming';

export interface ChatEntry {
  /** Stable key for rendering: the server's ID, or `txn:<txnId>` while unconfirmed. */
  key: string;
  id: string | null;
  txnId: string | null;
  senderName: string;
  senderKind: ChatLine['senderKind'];
  /** Sent from this page (unconfirmed lines have no sender name yet). */
  own: boolean;
  body: string;
  html: string | null;
  ts: number;
  status: 'sent' | 'pending' | 'failed';
  failure: string | null;
}

/** A gateway error that did not end the session, for the polite live region. */
export interface Notice {
  id: number;
  code: ErrorCode;
  message: string;
  /** What the failed request was about, when the page knows. */
  about: NoticeTopic;
}

export type NoticeTopic = 'audio' | 'camera' | 'screen' | 'chat' | 'moderation' | 'general';

export interface SessionState {
  connection: ConnectionStatus;
  /** Failed connection attempts since the last welcome. */
  failures: number;
  authStatus: AuthStatus;
  welcome: Welcome | null;
  conference: ConferenceState | null;
  /** The person asked to join (so a reconnect joins again). */
  wantJoined: boolean;
  /** The guest's name, as validated when they pressed "Join". */
  guestName: string;
  chat: ChatEntry[];
  /** What is in the chat input: kept here so closing the panel loses nothing. */
  chatDraft: string;
  ended: EndReason | null;
  error: { code: PageErrorCode; detail: string | null } | null;
  notices: Notice[];
}

export function initialSessionState(): SessionState {
  return {
    connection: 'connecting',
    failures: 0,
    authStatus: 'idle',
    welcome: null,
    conference: null,
    wantJoined: false,
    guestName: '',
    chat: [],
    chatDraft: '',
    ended: null,
    error: null,
    notices: [],
  };
}

export function phaseOf(s: SessionState): Phase {
  if (s.error) return 'error';
  if (s.ended) return 'ended';
  if (!s.welcome) return 'connecting';
  if (!s.wantJoined) return 'start';
  if (s.conference?.joined) return s.conference.admitted ? 'conference' : 'waiting';
  return 'joining';
}

export function ownParticipantId(s: SessionState): string | null {
  return s.conference?.participantId ?? s.welcome?.participantId ?? null;
}

export function ownParticipant(s: SessionState): ParticipantView | undefined {
  const id = ownParticipantId(s);
  return id === null ? undefined : s.conference?.participants.find((p) => p.id === id);
}

/** Guests and callers waiting, not counting this page's own participant. */
export function othersWaiting(s: SessionState): number {
  const own = ownParticipantId(s);
  return s.conference?.participants.filter((p) => p.waiting && p.id !== own).length ?? 0;
}
