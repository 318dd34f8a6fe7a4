// The conference WebSocket (/ws/conference): browsers and the staff client authenticate, then
// join and leave the conference, and moderators mute and remove participants. Every message is
// schema-validated; a connection that floods, or says nothing valid, is closed with a reason.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { maskNumber, type Logger } from '@foyer/common';
import { clientMessageSchema, type ParticipantView, type ServerMessage } from '@foyer/common/conference-protocol';
import type { BridgeClient } from '../bridge-client.ts';
import { AuthError, type OpenIdVerifier } from '../auth/openid.ts';
import type { Conference } from './conference.ts';
import type { ConferenceManager } from './manager.ts';

export interface ConferenceSocketDeps {
  conferences: ConferenceManager;
  bridge: Pick<BridgeClient, 'group'>;
  openid: OpenIdVerifier;
  log: Logger;
  /** Messages a connection may send per second before it is closed. */
  maxMessagesPerSecond?: number;
}

const HELLO_TIMEOUT_MS = 10_000;
const MAX_MESSAGE_BYTES = 16 * 1024;

function levelToUnit(dbov: number): number {
  return Math.max(0, Math.min(1, (dbov + 60) / 60));
}

export function viewOf(c: Conference): ParticipantView[] {
  return [...c.phones.values()].map((p) => ({
    id: p.id,
    kind: 'phone' as const,
    name: p.number && /[0-9]/.test(p.number) ? maskNumber(p.number) : 'Telefon',
    waiting: p.relay.mode !== 'mix',
    muted: p.relay.muted,
    level: levelToUnit(p.relay.level),
  }));
}

export function registerConferenceSocket(app: FastifyInstance, d: ConferenceSocketDeps): void {
  const maxRate = d.maxMessagesPerSecond ?? 20;
  app.get('/ws/conference', { websocket: true }, (socket: WebSocket, req) => {
    const connectionId = randomUUID();
    const log = d.log.child({ ws: connectionId, ip: req.ip });
    let identity: { userId: string; role: 'moderator' | 'participant'; conference: Conference } | undefined;
    let joined = false;
    let windowStart = Date.now();
    let count = 0;

    const send = (m: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    const fail = (code: string, message: string, close = true) => {
      send({ type: 'error', code, message });
      if (close) socket.close(code === 'forbidden' ? 4403 : 4400, message.slice(0, 120));
    };
    const pushState = () => {
      if (!identity) return;
      const c = identity.conference;
      send({
        type: 'state',
        status: c.status,
        joined,
        participants: viewOf(c),
        moderators: [...new Set(c.moderators.values())],
      });
    };
    const helloTimer = setTimeout(() => fail('timeout', 'no hello within 10 s'), HELLO_TIMEOUT_MS);

    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      void (async () => {
        const now = Date.now();
        if (now - windowStart >= 1000) {
          windowStart = now;
          count = 0;
        }
        if (++count > maxRate) return fail('rate_limited', 'too many messages');
        if (isBinary || raw.length > MAX_MESSAGE_BYTES)
          return fail('bad_message', 'messages are JSON text of at most 16 KiB');
        let data: unknown;
        try {
          data = JSON.parse(raw.toString('utf8'));
        } catch {
          return fail('bad_message', 'not JSON', false);
        }
        const parsed = clientMessageSchema.safeParse(data);
        if (!parsed.success) return fail('bad_message', parsed.error.issues[0]?.message ?? 'invalid message', false);
        const msg = parsed.data;
        if (msg.type === 'ping') return send({ type: 'pong' });
        if (msg.type === 'hello') {
          if (identity) return fail('bad_message', 'already authenticated', false);
          try {
            const userId = await d.openid.verify({
              userId: msg.auth.userId,
              serverName: msg.auth.serverName,
              token: msg.auth.openidToken,
            });
            const group = await d.bridge.group(msg.auth.roomId);
            const member = group?.members.find((m) => m.userId === userId);
            if (!group || !member) return fail('forbidden', 'you are not a member of this group');
            clearTimeout(helloTimer);
            const conference = d.conferences.get(group.roomId);
            identity = { userId, role: member.kind === 'staff' ? 'moderator' : 'participant', conference };
            conference.on('changed', pushState);
            log.info({ userId, roomId: group.roomId, role: identity.role }, 'conference connection authenticated');
            send({ type: 'welcome', role: identity.role, roomId: group.roomId, name: group.name });
            pushState();
          } catch (err) {
            if (err instanceof AuthError) return fail(err.code, err.message);
            log.error({ err: (err as Error).message }, 'authentication failed');
            return fail('unavailable', 'authentication is not possible right now');
          }
          return;
        }
        if (!identity) return fail('unauthenticated', 'say hello first');
        const c = identity.conference;
        switch (msg.type) {
          case 'join':
            if (joined) return;
            joined = true;
            if (identity.role === 'moderator') await c.moderatorJoined(connectionId, identity.userId);
            pushState();
            return;
          case 'leave':
            if (!joined) return;
            joined = false;
            await c.moderatorLeft(connectionId);
            pushState();
            return;
          case 'mute':
          case 'remove': {
            if (identity.role !== 'moderator') return fail('forbidden', 'only moderators can do this', false);
            if (!c.phones.has(msg.participantId)) return fail('not_found', 'no such participant', false);
            if (msg.type === 'mute') c.setMuted(msg.participantId, msg.muted);
            else await c.removePhone(msg.participantId, `removed by ${identity.userId}`);
            log.info({ action: msg.type, participant: msg.participantId, by: identity.userId }, 'moderator action');
            return;
          }
        }
      })().catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'conference message failed');
        fail('internal', 'that did not work', false);
      });
    });

    socket.on('close', () => {
      clearTimeout(helloTimer);
      if (!identity) return;
      const c = identity.conference;
      c.off('changed', pushState);
      // Leaving (or losing the connection) as a moderator never ends the conference.
      if (joined) void c.moderatorLeft(connectionId).then(() => d.conferences.sweep(c.roomId));
      log.info({ userId: identity.userId }, 'conference connection closed');
    });
  });
}
