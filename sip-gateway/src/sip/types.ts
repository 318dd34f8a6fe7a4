// The contract between the SIP layer (sip/) and the conference logic: one IncomingCall per
// INVITE dialog. The SIP layer owns transactions, dialogs, SDP parsing and trunk checks; the
// conference logic owns media and decides what to do with the call.
import type { EventEmitter } from 'node:events';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The audio part of an SDP offer, as parsed by the SIP layer. */
export interface AudioOffer {
  /** Where the caller wants RTP (c= and m= lines); 0.0.0.0 means "on hold" in old-style SDP. */
  address: string;
  port: number;
  /** Payload types in the order offered, e.g. [0, 8, 101]. */
  payloadTypes: number[];
  /** Offered codecs we can use: 0 = PCMU, 8 = PCMA (static or by rtpmap name). */
  g711: (0 | 8)[];
  /** Dynamic payload type of telephone-event/8000, if offered. */
  telephoneEvent?: number;
  direction: Direction;
  ptime?: number;
}

/** Our side of the media, given when answering. */
export interface AudioAnswer {
  address: string;
  port: number;
  payloadType: 0 | 8;
  /** Echo the offer's telephone-event payload type to accept RFC 4733 DTMF. */
  telephoneEvent?: number;
}

export interface CallEvents {
  /** The caller's ACK for our 200 arrived (the call is confirmed). */
  ack: [];
  /** The caller cancelled before we answered; the SIP layer already sent 487. */
  cancel: [];
  /** The caller hung up (BYE); the SIP layer already answered 200. */
  bye: [];
  /** A DTMF digit by SIP INFO (application/dtmf-relay or application/dtmf): 0-9, *, #, A-D. */
  info: [digit: string];
  /** A re-INVITE with a new offer (hold, unhold, new address); the SIP layer answers it. */
  reinvite: [offer: AudioOffer];
  /** Always last, whatever ended the call. */
  ended: [reason: string];
}

export interface IncomingCall extends EventEmitter<CallEvents> {
  readonly callId: string;
  /** Caller ID: the From user part (digits or name), null when anonymous. */
  readonly caller: string | null;
  readonly callerDisplayName: string | null;
  /** The dialled number: the Request-URI user part. */
  readonly dialled: string | null;
  readonly source: { address: string; port: number; transport: 'udp' | 'tcp' | 'tls' };
  /** Name of the trunk that let this call in. */
  readonly trunk: string;
  /** The audio offer (the SIP layer refuses INVITEs without a usable one with 488). */
  readonly offer: AudioOffer;
  readonly state: 'offered' | 'ringing' | 'early' | 'answered' | 'confirmed' | 'ended';
  /** 180 Ringing. */
  ringing(): void;
  /** 183 Session Progress with our SDP: early media (the welcome prompt plays before answer). */
  progress(local: AudioAnswer): void;
  /** 200 OK with our SDP, retransmitted until the ACK comes (or the call ends after 32 s). */
  answer(local: AudioAnswer): void;
  /** A final error response to the INVITE (before answer), e.g. 403, 480, 486, 503. */
  reject(status: number, reason?: string): void;
  /** End the call: BYE when answered, otherwise 480 to the INVITE. */
  hangup(reason?: string): void;
  /** The dialog's identity and route, JSON-safe, so a restarted process can still end it. */
  snapshot(): unknown;
}

export interface SipServerEvents {
  call: [call: IncomingCall];
}
