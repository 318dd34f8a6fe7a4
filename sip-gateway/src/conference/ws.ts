// The conference WebSocket (/ws/conference): the conference page says who it is (a guest link,
// or a Matrix member's OpenID token), joins, and then asks for LiveKit tokens for its media, and
// exchanges chat lines and moderator actions. Every message is schema-validated; a connection that
// floods, or says nothing valid, is closed with a reason. One socket is one participant at most:
// hello, join, leave and the clean-up on close run one after another, so messages sent at once
// cannot make several participants, and whatever the socket made is gone when it closes.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { serialQueue, type ConferencePolicy as DecidedPolicy, type GroupWelcome, type Logger } from '@foyer/common';
import {
  clientMessageSchema,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
} from '@foyer/common/conference-protocol';
import { BridgeApiError, type BridgeClient } from '../bridge-client.ts';
import { AuthError, type OpenIdVerifier } from '../auth/openid.ts';
import { clientKey, type AttemptThrottle } from '../ivr/throttle.ts';
import type { BrowserPlane } from './browser-media.ts';
import { policyFrom, type Conference } from './conference.ts';
import type { Prompts } from '../ivr/prompts.ts';
import type { ConferenceManager } from './manager.ts';
import { newParticipantId, type WebParticipant } from './participants.ts';

export interface ConferenceSocketDeps {
  conferences: ConferenceManager;
  bridge: Pick<BridgeClient, 'admit' | 'postMessage'>;
  prompts: Pick<Prompts, 'music'>;
  openid: OpenIdVerifier;
  /** Browsers' media (LiveKit tokens for admitted pages). */
  browsers: BrowserPlane;
  log: Logger;
  /** Licence: web guests at once over all conferences. */
  maxGuests: number;
  /** Failed hellos (wrong links, refused OpenID tokens) per client address, in-flight ones counted. */
  helloThrottle: AttemptThrottle;
  /** Origins allowed to open the socket (the web client's); others are refused. */
  allowedOrigins: string[];
  /** Messages a connection may send per second before it is closed. */
  maxMessagesPerSecond?: number;
}

const HELLO_TIMEOUT_MS = 10_000;
/** How long a guest's chat line is kept while the bridge does not answer, and the pauses between tries. */
const CHAT_KEPT_MS = 10 * 60_000;
const CHAT_RETRY_MS = [500, 1000, 2000, 4000, 8000, 15_000];
const MAX_MESSAGE_BYTES = 96 * 1024;
/** Errors after which the page cannot go on on this connection. */
const FATAL: ReadonlySet<ErrorCode> = new Set([
  'forbidden',
  'link_revoked',
  'licence_cap',
  'timeout',
  'rate_limited',
  'unauthenticated',
  'conference_locked',
  'conference_full',
]);

interface Identity {
  kind: 'guest' | 'staff' | 'federated';
  moderator: boolean;
  userId?: string;
  name: string | undefined;
  token?: string;
  group: GroupWelcome;
  /** How the conference behaves, as the bridge decided when this page was let in. */
  policy: DecidedPolicy;
  conference: Conference;
}

class Refusal extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function registerConferenceSocket(app: FastifyInstance, d: ConferenceSocketDeps): void {
  const maxRate = d.maxMessagesPerSecond ?? 50;
  /** Guests between the licence check and their place in a conference, over all sockets. */
  let guestsJoining = 0;
  app.get('/ws/conference', { websocket: true }, (socket: WebSocket, req) => {
    const connectionId = randomUUID();
    const log = d.log.child({ ws: connectionId, ip: req.ip });
    const origin = req.headers.origin;
    let identity: Identity | undefined;
    let me: WebParticipant | undefined;
    let closed = false;
    /** Who this socket is and whether it is in: changed one step at a time (see the top). */
    const lifecycle = serialQueue();
    /** The guest's chat lines, delivered in the order typed. */
    const chatQueue = serialQueue();
    let windowStart = Date.now();
    let count = 0;

    const send = (m: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    const fail = (code: ErrorCode, message: string, rid?: number) => {
      send({ type: 'error', code, message, fatal: FATAL.has(code), ...(rid === undefined ? {} : { rid }) });
      if (FATAL.has(code)) socket.close(code === 'forbidden' ? 4403 : 4400, message.slice(0, 120));
    };
    const pushState = () => {
      if (!identity) return;
      const c = identity.conference;
      send({
        type: 'state',
        status: c.status,
        joined: me !== undefined,
        admitted: me !== undefined && c.admitted(me),
        participantId: me?.id ?? null,
        participants: c.view(),
        moderators: c.moderatorIds,
      });
    };
    const helloTimer = setTimeout(() => fail('timeout', 'no hello within 10 s'), HELLO_TIMEOUT_MS);

    if (origin !== undefined && !d.allowedOrigins.includes(origin)) {
      log.warn({ origin }, 'conference socket from a foreign origin refused');
      clearTimeout(helloTimer);
      fail('forbidden', 'this page may not open the conference');
      return;
    }

    /** Who says hello, counted per client address before it is checked (parallel floods included). */
    async function hello(auth: Extract<ClientMessage, { type: 'hello' }>['auth']): Promise<Identity> {
      const attempt = d.helloThrottle.begin(clientKey(req.ip));
      if (!attempt) {
        log.warn({ event: 'hello_throttled', kind: auth.kind }, 'conference hello refused: too many failed hellos');
        throw new Refusal('rate_limited', 'too many failed attempts from this address; try again later');
      }
      try {
        const id = await verifyHello(auth);
        attempt.release();
        return id;
      } catch (err) {
        // Our own trouble (the bridge away) says nothing about the client; everything else counts.
        if (err instanceof BridgeApiError || !(err instanceof Refusal || err instanceof AuthError)) attempt.release();
        else attempt.fail();
        throw err;
      }
    }

    async function verifyHello(auth: Extract<ClientMessage, { type: 'hello' }>['auth']): Promise<Identity> {
      // Who may in, as whom, and how the conference behaves: the bridge's answer, carried out.
      if (auth.kind === 'guest') {
        const a = await d.bridge.admit({ way: 'link', token: auth.token });
        if (a.decision !== 'accept' || !a.group) {
          log.warn({ event: 'guest_link_refused' }, 'unknown or revoked guest link');
          throw new Refusal('link_revoked', 'this link is not valid (any more)');
        }
        return {
          kind: 'guest',
          moderator: a.role === 'moderator',
          name: auth.name,
          token: auth.token,
          group: a.group,
          policy: a.policy,
          conference: d.conferences.get(a.roomId),
        };
      }
      const userId = await d.openid.verify({
        userId: auth.userId,
        serverName: auth.serverName,
        token: auth.openidToken,
      });
      const a = await d.bridge.admit({ way: 'member', roomId: auth.roomId, userId });
      if (a.decision !== 'accept' || !a.group || !a.kind)
        throw new Refusal('forbidden', 'you are not a member of this group');
      return {
        kind: a.kind,
        moderator: a.role === 'moderator',
        userId,
        name: a.name,
        group: a.group,
        policy: a.policy,
        conference: d.conferences.get(a.roomId),
      };
    }

    async function join(id: Identity, name: string | undefined): Promise<void> {
      const c = id.conference;
      if (id.kind === 'guest') {
        id.name = name ?? id.name;
        // The link may have been revoked since hello; the answer also brings today's policy.
        const a = id.token ? await d.bridge.admit({ way: 'link', token: id.token }) : undefined;
        if (a?.decision !== 'accept') throw new Refusal('link_revoked', 'this link is not valid any more');
        id.policy = a.policy;
      }
      if (!id.name) throw new Refusal('bad_message', 'a name is needed to join');
      // The bridge's policy (a fixed room's settings) governs the conference, for pages as for callers.
      c.policy = policyFrom(id.policy, d.prompts, log);
      const refused = c.admission(id.moderator);
      if (refused === 'locked') throw new Refusal('conference_locked', 'a moderator has locked this conference');
      if (refused === 'full') throw new Refusal('conference_full', 'this conference is full');
      // Checked and taken with no await in between, counting guests of other sockets still joining.
      const guest = id.kind === 'guest';
      if (guest && d.conferences.guestCount() + guestsJoining >= d.maxGuests) {
        log.warn({ maxGuests: d.maxGuests }, 'guest refused: licence cap reached');
        throw new Refusal('licence_cap', 'all guest places are taken');
      }
      const pid = newParticipantId();
      me = {
        id: pid,
        kind: id.kind,
        name: id.name,
        ...(id.userId ? { userId: id.userId } : {}),
        moderator: id.moderator,
        muted: false,
        media: d.browsers.media({
          roomId: c.roomId,
          participantId: pid,
          kind: id.kind,
          ...(id.userId ? { userId: id.userId } : {}),
          name: id.name,
        }),
        send,
        pendingChat: [],
        joinedAt: Date.now(),
      };
      if (guest) guestsJoining++;
      try {
        await c.addWeb(me);
      } catch (err) {
        // Not in the conference after all: whatever LiveKit holds for it goes too.
        const made = me;
        me = undefined;
        await made.media.stop(true).catch(() => undefined);
        throw err;
      } finally {
        if (guest) guestsJoining--;
      }
    }

    async function leave(): Promise<void> {
      if (!me || !identity) return;
      const c = identity.conference;
      const id = me.id;
      me = undefined;
      await c.removeWeb(id, 'left');
      d.conferences.sweep(c.roomId);
    }

    /** The page's own participant, admitted to the conference (media only then). */
    function admittedMe(c: Conference): WebParticipant {
      if (!me || !c.admitted(me)) throw new Refusal('not_admitted', 'not in the conference (yet)');
      return me;
    }

    async function chat(c: Conference, txnId: string, body: string): Promise<void> {
      if (!me || me.kind !== 'guest') {
        send({ type: 'chat.failed', txnId, message: 'members write in the group chat of their Matrix client' });
        return;
      }
      const p = me;
      p.pendingChat.push({ txnId, body });
      // In order, one after another; kept while the bridge (or its database) is away. The bridge's
      // outbox takes a txnId once, so a retry after a lost answer is not a second message.
      void chatQueue(async () => {
        const deadline = Date.now() + CHAT_KEPT_MS;
        for (let attempt = 0; ; attempt++) {
          try {
            await d.bridge.postMessage(c.roomId, { participantId: p.id, txnId, body });
            if (attempt > 0) log.info({ txnId, attempts: attempt + 1 }, 'queued guest chat message delivered');
            return;
          } catch (err) {
            const status = err instanceof BridgeApiError ? err.status : undefined;
            // 404: the bridge does not know this guest (just joined, or the bridge restarted):
            // report the conference and try again, for as long as the guest is here.
            const retry =
              Date.now() < deadline &&
              (status === undefined || status >= 500 || (status === 404 && c.webs.get(p.id) === p));
            if (!retry) {
              p.pendingChat = p.pendingChat.filter((m) => m.txnId !== txnId);
              log.warn({ err: (err as Error).message, status }, 'guest chat message refused');
              send({
                type: 'chat.failed',
                txnId,
                message:
                  status !== undefined && status < 500 ? (err as Error).message : 'the message could not be sent',
              });
              return;
            }
            if (attempt === 0 && status !== 404)
              log.warn(
                { err: (err as Error).message, status, txnId },
                'guest chat message queued: the bridge is not answering',
              );
            // The bridge does not know this participant: it gets the whole conference again.
            if (status === 404) await c.flushReport(true).catch(() => undefined);
            await new Promise((r) => setTimeout(r, CHAT_RETRY_MS[Math.min(attempt, CHAT_RETRY_MS.length - 1)]));
          }
        }
      });
    }

    async function handle(msg: ClientMessage): Promise<void> {
      if (msg.type === 'ping') return send({ type: 'pong' });
      if (msg.type === 'hello') return lifecycle(() => sayHello(msg.auth));
      // Join and leave wait for a hello still being checked, and for each other.
      if (msg.type === 'join')
        return lifecycle(async () => {
          if (closed) return;
          if (!me) await join(authenticated(), msg.name);
          pushState();
        });
      if (msg.type === 'leave')
        return lifecycle(async () => {
          authenticated();
          await leave();
          pushState();
        });
      const id = authenticated();
      const c = id.conference;
      switch (msg.type) {
        case 'mute': {
          const self = me?.id === msg.participantId;
          if (!self && !id.moderator) throw new Refusal('forbidden', 'only moderators can mute others');
          const done = await c.setMuted(msg.participantId, msg.muted, self ? 'self' : 'moderator');
          if (done === 'missing') throw new Refusal('not_found', 'no such participant');
          if (done === 'locked')
            throw new Refusal('muted_by_moderator', 'a moderator muted you; only a moderator can unmute you');
          if (!self) log.info({ action: 'mute', participant: msg.participantId, muted: msg.muted }, 'moderator action');
          return;
        }
        case 'remove':
          if (!id.moderator) throw new Refusal('forbidden', 'only moderators can remove participants');
          if (c.phones.has(msg.participantId)) await c.removePhone(msg.participantId, `removed by ${id.userId}`);
          else if (c.webs.has(msg.participantId) && msg.participantId !== me?.id)
            await c.removeWeb(msg.participantId, 'removed');
          else throw new Refusal('not_found', 'no such participant');
          log.info({ action: 'remove', participant: msg.participantId, by: id.userId }, 'moderator action');
          return;
        case 'media.token': {
          const p = admittedMe(c);
          const { url, token } = await p.media.token();
          // Sent back to the waiting area meanwhile: the token is not handed out.
          if (!c.admitted(p)) {
            await p.media.stop(false);
            throw new Refusal('not_admitted', 'back in the waiting area');
          }
          return send({ type: 'media.livekit', rid: msg.rid, url, token });
        }
        case 'chat.send':
          return chat(c, msg.txnId, msg.body);
      }
    }

    function authenticated(): Identity {
      if (!identity) throw new Refusal('unauthenticated', 'say hello first');
      return identity;
    }

    async function sayHello(auth: Extract<ClientMessage, { type: 'hello' }>['auth']): Promise<void> {
      if (closed) return;
      if (identity) throw new Refusal('bad_message', 'already said hello');
      const said = await hello(auth);
      if (closed) return; // gone while we checked: nothing to welcome, nothing to listen to
      identity = said;
      clearTimeout(helloTimer);
      identity.conference.on('changed', pushState);
      log.info(
        { userId: identity.userId, kind: identity.kind, roomId: identity.group.roomId },
        'conference connection authenticated',
      );
      send({
        type: 'welcome',
        role: identity.moderator ? 'moderator' : 'participant',
        roomId: identity.group.roomId,
        name: identity.group.name,
        participantId: null,
        dialIn: identity.group.dialIn ?? null,
        // The bridge tells the moderator PIN to moderators' pages only.
        ...(identity.group.moderatorPin ? { moderatorPin: identity.group.moderatorPin } : {}),
        media: 'livekit',
      });
      pushState();
    }

    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        count = 0;
      }
      if (++count > maxRate) return fail('rate_limited', 'too many messages');
      if (isBinary || raw.length > MAX_MESSAGE_BYTES)
        return fail('bad_message', 'messages are JSON text of at most 96 KiB');
      let data: unknown;
      try {
        data = JSON.parse(raw.toString('utf8'));
      } catch {
        return fail('bad_message', 'not JSON');
      }
      const parsed = clientMessageSchema.safeParse(data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return fail(
          'bad_message',
          issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid message',
        );
      }
      const msg = parsed.data;
      const rid = 'rid' in msg ? msg.rid : undefined;
      handle(msg).catch((err: unknown) => {
        if (err instanceof Refusal) return fail(err.code, err.message, rid);
        if (err instanceof AuthError) return fail(err.code, err.message);
        log.error({ err: (err as Error).message, type: msg.type }, 'conference message failed');
        fail(msg.type === 'hello' ? 'unavailable' : 'internal', 'that did not work, please try again', rid);
      });
    });

    socket.on('close', () => {
      closed = true;
      clearTimeout(helloTimer);
      // Queued behind any hello or join still in flight, so what they made is undone too.
      void lifecycle(async () => {
        if (!identity) return;
        identity.conference.off('changed', pushState);
        // Leaving (or losing the connection) as a moderator never ends the conference.
        const { roomId } = identity.conference;
        await leave()
          .catch((err: unknown) => log.error({ err: (err as Error).message }, 'leaving failed'))
          .finally(() => d.conferences.sweep(roomId));
        log.info({ userId: identity.userId, kind: identity.kind }, 'conference connection closed');
      });
    });
  });
}
