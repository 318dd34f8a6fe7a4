// Foyer's LiveKit token service for MatrixRTC clients (Element Call, Element X): the homeserver
// advertises it as its `livekit` transport, so pressing Call in a group lands in the group's
// conference room on LiveKit — the room Foyer's pages and the phone callers are in. Written from
// the protocol (token-request.ts). Who may have a token is the bridge's answer for a member of
// the group, as for Foyer's own pages; the decision is `decideToken`, carried out here.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Admission, Logger } from '@foyer/common';
import { MATRIX_RTC_SERVICE_PATH } from '@foyer/common/livekit';
import { AuthError, type OpenIdVerifier } from '../auth/openid.ts';
import { BridgeApiError } from '../bridge-client.ts';
import type { Refusal } from '../conference/conference.ts';
import { clientKey, type AttemptThrottle } from '../ivr/throttle.ts';
import type { IssuedMember } from './call-members.ts';
import { parseTokenRequest, type TokenEndpoint } from './token-request.ts';

/** A Matrix-style error answer: what Element Call reads (and logs) when it is refused. */
interface ErrorAnswer {
  status: 400 | 401 | 403 | 404 | 429 | 503;
  errcode: string;
  error: string;
}

/** What a running conference says about letting someone in now. */
export interface ConferenceGate {
  /** Locked by a moderator, or full (fixed rooms' capacity); undefined: room for them. */
  admission(moderator: boolean): Refusal | undefined;
  /** A moderator is there (or the conference needs none): participants are let in. */
  readonly started: boolean;
}

/**
 * A grant is for the conference's room, or (`conference: false`) for an encrypted group's own
 * Element Call calls, which callers and guests cannot share.
 */
export type TokenDecision =
  { grant: true; role: 'moderator' | 'participant'; conference: boolean } | ({ grant: false } & ErrorAnswer);

/**
 * Whether a verified user gets a token for the group's conference: the bridge's admission of the
 * member, and the conference running now (none: nobody is in it, and its policy says whether
 * participants must wait for a moderator).
 */
export function decideToken(admission: Admission, conference: ConferenceGate | undefined): TokenDecision {
  if (admission.decision !== 'accept' || !admission.group)
    return {
      grant: false,
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: 'you are not a member of this room, or it is not a Foyer group',
    };
  const moderator = admission.role === 'moderator';
  const role = moderator ? 'moderator' : 'participant';
  // End-to-end encrypted media cannot be the conference's: members call among themselves.
  if (admission.encrypted) return { grant: true, role, conference: false };
  const refusal = conference?.admission(moderator);
  if (refusal === 'locked')
    return { grant: false, status: 403, errcode: 'M_FORBIDDEN', error: 'a moderator has locked this conference' };
  if (refusal === 'full')
    return { grant: false, status: 403, errcode: 'M_FORBIDDEN', error: 'this conference is full' };
  const started = conference ? conference.started : !admission.policy.moderatorRequired;
  if (!moderator && !started)
    return {
      grant: false,
      status: 403,
      errcode: 'M_FORBIDDEN',
      error: 'the conference has not started: a moderator of the group has to join first',
    };
  return { grant: true, role, conference: true };
}

export interface TokenServiceDeps {
  openid: OpenIdVerifier;
  bridge: { admit(q: { way: 'member'; roomId: string; userId: string }): Promise<Admission> };
  conferences: { find(roomId: string): ConferenceGate | undefined };
  livekit: {
    callMemberToken(
      roomId: string,
      identity: string,
      encrypted?: boolean,
    ): Promise<{ url: string; jwt: string; room: string }>;
  };
  /** Whom a token was given: once they join LiveKit's room they are in the conference. */
  members: { issued(m: IssuedMember): void };
  /** Failed OpenID tokens per client address (in-flight ones counted), as for the conference socket. */
  throttle: AttemptThrottle;
  log: Logger;
}

// No cookies or credentials are involved (the OpenID token is in the body), so any origin may
// ask: Element Call runs in a widget frame of whichever client the user has.
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Authorization',
  'access-control-max-age': '86400',
};

export function registerTokenService(app: FastifyInstance, d: TokenServiceDeps): void {
  const log = d.log.child({ part: 'matrixrtc-tokens' });
  const refuse = (reply: FastifyReply, a: ErrorAnswer) =>
    reply.code(a.status).send({ errcode: a.errcode, error: a.error });

  app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(CORS);
    });
    // The body is parsed here, so that anything but JSON gets Matrix's M_NOT_JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    scope.options(`${MATRIX_RTC_SERVICE_PATH}/*`, async (_req, reply) => reply.code(204).send());
    // Element Call probes for delegated delayed leaves; 404 tells it this service has none.
    scope.post(`${MATRIX_RTC_SERVICE_PATH}/delegate_delayed_leave`, async (_req, reply) =>
      refuse(reply, { status: 404, errcode: 'M_UNRECOGNIZED', error: 'delegated delayed leave is not offered here' }),
    );
    for (const endpoint of ['sfu/get', 'get_token'] as const satisfies TokenEndpoint[]) {
      scope.post(`${MATRIX_RTC_SERVICE_PATH}/${endpoint}`, async (req, reply) => {
        const body = typeof req.body === 'string' ? req.body : '';
        const request = parseTokenRequest(endpoint, body);
        if ('errcode' in request) {
          log.warn({ endpoint, error: request.error }, 'MatrixRTC token request refused: malformed');
          return refuse(reply, request);
        }
        const attempt = d.throttle.begin(clientKey(req.ip));
        if (!attempt) {
          log.warn({ endpoint }, 'MatrixRTC token request refused: too many failed OpenID tokens from this address');
          return refuse(reply, { status: 429, errcode: 'M_LIMIT_EXCEEDED', error: 'too many failed attempts' });
        }
        let userId: string;
        try {
          userId = await d.openid.verify({
            ...(request.claimedUserId ? { userId: request.claimedUserId } : {}),
            serverName: request.openid.serverName,
            token: request.openid.token,
          });
        } catch (err) {
          const unavailable = err instanceof AuthError && err.code === 'unavailable';
          // Our or their homeserver being away says nothing about this client.
          if (unavailable) attempt.release();
          else attempt.fail();
          log.warn(
            { endpoint, server: request.openid.serverName, err: (err as Error).message },
            'MatrixRTC token request refused: OpenID token not confirmed',
          );
          return unavailable
            ? refuse(reply, { status: 503, errcode: 'M_UNKNOWN', error: (err as Error).message })
            : refuse(reply, { status: 401, errcode: 'M_UNAUTHORIZED', error: 'the OpenID token is not valid' });
        }
        attempt.release();
        let admission: Admission;
        try {
          admission = await d.bridge.admit({ way: 'member', roomId: request.roomId, userId });
        } catch (err) {
          log.error(
            { endpoint, err: (err as Error).message },
            'MatrixRTC token request failed: the bridge did not answer',
          );
          const what = err instanceof BridgeApiError ? 'the group service is unavailable' : 'internal error';
          return refuse(reply, { status: 503, errcode: 'M_UNKNOWN', error: `${what}; try again` });
        }
        const decision = decideToken(
          admission,
          admission.decision === 'accept' ? d.conferences.find(admission.roomId) : undefined,
        );
        if (!decision.grant) {
          log.warn(
            { endpoint, roomId: request.roomId, userId, error: decision.error },
            'MatrixRTC token request refused',
          );
          return refuse(reply, decision);
        }
        const identity = request.identity(userId);
        const { url, jwt, room } = await d.livekit.callMemberToken(request.roomId, identity, !decision.conference);
        if (decision.conference)
          d.members.issued({
            roomId: request.roomId,
            room,
            identity,
            userId,
            kind: admission.decision === 'accept' && admission.kind === 'staff' ? 'staff' : 'federated',
            name: (admission.decision === 'accept' && admission.name) || userId,
            moderator: decision.role === 'moderator',
          });
        log.info(
          { endpoint, roomId: request.roomId, userId, role: decision.role, room, conference: decision.conference },
          'MatrixRTC token issued (Element Call member)',
        );
        return { url, jwt };
      });
    }
  });
}
