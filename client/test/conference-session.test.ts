// The conference page's session logic against a fake WebSocket: hello/join, phases, reconnect,
// fatal errors, chat, and routing of media messages.
import type { ServerMessage } from '@foyer/common/conference-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deviceProblemOf } from '../src/conference/device-problem.ts';
import {
  AuthFailure,
  ConferenceSession,
  FIRST_CONNECT_ATTEMPTS,
  PING_INTERVAL_MS,
  SILENCE_LIMIT_MS,
  guestNameProblem,
  reconnectDelay,
  type AuthProvider,
  type MediaPort,
} from '../src/conference/session.ts';
import { initialSessionState, othersWaiting, phaseOf } from '../src/conference/session-state.ts';
import { conferenceSocketUrl, conferenceUrlFinder } from '../src/conference/socket.ts';
import { parseSiteConfig } from '../src/site-config.ts';
import { FakeSocket } from './fake-socket.ts';

const guest: AuthProvider = { kind: 'guest', credentials: () => Promise.resolve({ kind: 'guest', token: 'tok' }) };
const matrix: AuthProvider = {
  kind: 'matrix',
  credentials: () =>
    Promise.resolve({
      kind: 'matrix',
      userId: '@ann:example.org',
      roomId: '!room:example.org',
      openidToken: 'oidc',
      serverName: 'example.org',
    }),
};

function welcome(extra: Partial<Extract<ServerMessage, { type: 'welcome' }>> = {}): ServerMessage {
  return {
    type: 'welcome',
    role: 'participant',
    roomId: '!room:example.org',
    name: 'Sales',
    participantId: null,
    dialIn: { number: '+49 30 1234', pin: '1234567890' },
    media: 'livekit',
    ...extra,
  };
}

function state(extra: Partial<Extract<ServerMessage, { type: 'state' }>> = {}): ServerMessage {
  return {
    type: 'state',
    status: 'running',
    joined: true,
    admitted: false,
    participantId: 'p1',
    participants: [],
    moderators: [],
    ...extra,
  };
}

function setup(auth: AuthProvider = guest) {
  const sockets: FakeSocket[] = [];
  const view = initialSessionState();
  const media = {
    handle: vi.fn<MediaPort['handle']>(),
    handleError: vi.fn<MediaPort['handleError']>(() => false),
    update: vi.fn<MediaPort['update']>(),
    reset: vi.fn<MediaPort['reset']>(),
  };
  const warn = vi.fn();
  let txn = 0;
  const session = new ConferenceSession(view, {
    url: 'ws://foyer.test/ws/conference',
    auth,
    connect: (url, handlers) => {
      const socket = new FakeSocket(url, handlers);
      sockets.push(socket);
      return socket;
    },
    log: { warn },
    newTxnId: () => `txn${++txn}`,
    jitter: () => 0,
  });
  session.attachMedia(media);
  const socket = (): FakeSocket => {
    const last = sockets.at(-1);
    if (!last) throw new Error('no socket yet');
    return last;
  };
  /** Start, open the socket and answer the hello. */
  const connect = async (extra: Partial<Extract<ServerMessage, { type: 'welcome' }>> = {}) => {
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    socket().open();
    socket().receive(welcome(extra));
  };
  return { view, session, media, warn, sockets, socket, connect };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ConferenceSession: joining', () => {
  it('says hello as a guest without a name, then joins with it', async () => {
    const { view, session, socket, connect } = setup();
    expect(phaseOf(view)).toBe('connecting');
    await connect();
    expect(socket().url).toBe('ws://foyer.test/ws/conference');
    expect(socket().sent[0]).toEqual({ type: 'hello', auth: { kind: 'guest', token: 'tok' } });
    expect(phaseOf(view)).toBe('start');
    expect(view.welcome?.name).toBe('Sales');

    expect(session.join('  Ann Example ')).toBeNull();
    expect(socket().sent.at(-1)).toEqual({ type: 'join', name: 'Ann Example' });
    expect(phaseOf(view)).toBe('joining');
  });

  it('refuses names the gateway would refuse, without sending', async () => {
    const { session, socket, connect } = setup();
    await connect();
    expect(session.join('   ')).toBe('empty');
    expect(session.join('x'.repeat(65))).toBe('too_long');
    expect(session.join('a\u0007b')).toBe('control');
    expect(socket().types()).toEqual(['hello']);
    expect(guestNameProblem('Ann')).toBeNull();
  });

  it('joins a Matrix member without a name', async () => {
    const { session, socket, connect } = setup(matrix);
    await connect({ role: 'moderator' });
    expect(socket().sent[0]).toMatchObject({ type: 'hello', auth: { kind: 'matrix', openidToken: 'oidc' } });
    session.join();
    expect(socket().sent.at(-1)).toEqual({ type: 'join' });
  });

  it('moves between waiting and conference with the state, and tells the media side', async () => {
    const { view, session, media, socket, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive(
      state({
        status: 'waiting',
        participants: [
          { id: 'p1', kind: 'guest', name: 'Ann', moderator: false, waiting: true, muted: false, level: 0 },
          { id: 'p2', kind: 'phone', name: '+49…', moderator: false, waiting: true, muted: false, level: 0 },
        ],
      }),
    );
    expect(phaseOf(view)).toBe('waiting');
    expect(othersWaiting(view)).toBe(1);
    socket().receive(state({ admitted: true }));
    expect(phaseOf(view)).toBe('conference');
    expect(media.update).toHaveBeenLastCalledWith(expect.objectContaining({ admitted: true }));
    socket().receive(state({ status: 'on_hold', admitted: false }));
    expect(phaseOf(view)).toBe('waiting');
  });

  it('leaves to the start screen (waiting area) or to the ended screen, and rejoins', async () => {
    const { view, session, media, socket, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive(state());
    session.leave(false);
    expect(socket().sent.at(-1)).toEqual({ type: 'leave' });
    expect(phaseOf(view)).toBe('start');
    session.join('Ann');
    socket().receive(state({ admitted: true }));
    media.reset.mockClear();
    session.leave(true);
    expect(media.reset).toHaveBeenCalled();
    expect(view.ended).toBe('left');
    expect(phaseOf(view)).toBe('ended');
    session.rejoin();
    expect(phaseOf(view)).toBe('start');
  });

  it('goes back to the start screen when the join is answered with an error', async () => {
    const { view, session, socket, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive({ type: 'error', code: 'unavailable', message: 'not now' });
    expect(phaseOf(view)).toBe('start');
    expect(view.notices.at(-1)).toMatchObject({ code: 'unavailable', about: 'general' });
  });
});

describe('ConferenceSession: messages', () => {
  it('ignores (and warns about) messages that do not match the protocol', async () => {
    const { view, socket, warn, connect } = setup();
    await connect();
    socket().handlers.message('not json');
    socket().receive({ type: 'state', status: 'party' });
    socket().receive({ type: 'nonsense' });
    expect(warn).toHaveBeenCalledTimes(3);
    expect(view.conference).toBeNull();
  });

  it('passes media messages to the media side, and gateway errors about its requests', async () => {
    const { view, media, socket, connect } = setup();
    await connect();
    const grant = { type: 'media.livekit', rid: 3, url: 'wss://livekit.test', token: 'jwt' } as const;
    socket().receive(grant);
    expect(media.handle).toHaveBeenCalledWith(grant);
    media.handleError.mockReturnValueOnce(true);
    socket().receive({ type: 'error', code: 'forbidden', message: 'no room', rid: 3 });
    expect(media.handleError).toHaveBeenCalledWith(3, 'forbidden', 'no room');
    expect(view.notices).toEqual([]); // the media side tells the person, once it gives up
    expect(phaseOf(view)).toBe('start');
  });

  it('ends the session on `removed` and does not reconnect', async () => {
    const { view, session, socket, sockets, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive({ type: 'removed', reason: 'removed' });
    expect(phaseOf(view)).toBe('ended');
    expect(view.ended).toBe('removed');
    expect(socket().closed).toBe(true);
    socket().drop(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });

  it.each(['link_revoked', 'licence_cap', 'forbidden', 'unauthenticated'] as const)(
    'shows %s as an error and does not reconnect',
    async (code) => {
      const { view, socket, sockets, connect } = setup();
      await connect();
      socket().receive({ type: 'error', code, message: 'no' });
      expect(phaseOf(view)).toBe('error');
      expect(view.error).toEqual({ code, detail: 'no' });
      socket().drop(4403);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(sockets).toHaveLength(1);
    },
  );

  it('treats `forbidden` right after a moderator action as an answer to it, not the end', async () => {
    const { view, session, socket, connect } = setup(matrix);
    await connect();
    session.join();
    socket().receive(state({ admitted: true }));
    expect(session.mute('p9', true)).toBe(true);
    expect(socket().sent.at(-1)).toEqual({ type: 'mute', participantId: 'p9', muted: true });
    socket().receive({ type: 'error', code: 'forbidden', message: 'only moderators' });
    expect(phaseOf(view)).toBe('conference');
    expect(view.notices.at(-1)).toMatchObject({ code: 'forbidden', about: 'moderation' });
    session.remove('p9');
    expect(socket().sent.at(-1)).toEqual({ type: 'remove', participantId: 'p9' });
  });

  it('mutes its own participant by ID', async () => {
    const { session, socket, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive(state({ participantId: 'me' }));
    session.setOwnMuted(true);
    expect(socket().sent.at(-1)).toEqual({ type: 'mute', participantId: 'me', muted: true });
  });
});

describe('ConferenceSession: connection', () => {
  it('pings every 20 s and gives up on a silent connection', async () => {
    const { socket, sockets, connect } = setup();
    await connect();
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS);
    expect(socket().types()).toEqual(['hello', 'ping']);
    socket().receive({ type: 'pong' });
    await vi.advanceTimersByTimeAsync(SILENCE_LIMIT_MS + PING_INTERVAL_MS);
    expect(sockets[0]?.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(reconnectDelay(1));
    expect(sockets).toHaveLength(2);
  });

  it('reconnects after an unexpected close, with hello and join again', async () => {
    const { view, session, media, socket, sockets, connect } = setup();
    await connect();
    session.join('Ann');
    socket().receive(state({ admitted: true }));
    socket().drop();
    expect(view.connection).toBe('reconnecting');
    expect(media.reset).toHaveBeenCalled();
    expect(phaseOf(view)).toBe('conference'); // the view stays while reconnecting
    await vi.advanceTimersByTimeAsync(reconnectDelay(1) - 1);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    socket().open();
    expect(socket().sent[0]).toEqual({ type: 'hello', auth: { kind: 'guest', token: 'tok' } });
    socket().receive(welcome());
    expect(socket().sent[1]).toEqual({ type: 'join', name: 'Ann' });
    expect(view.connection).toBe('open');
    expect(view.failures).toBe(0);
  });

  it('backs off, bounded', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => reconnectDelay(n))).toEqual([
      1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    expect(reconnectDelay(1, 1)).toBe(1200);
  });

  it('says the server is unreachable when the first connection keeps failing, and can try again', async () => {
    const { view, session, socket, sockets } = setup();
    session.start();
    for (let attempt = 1; attempt <= FIRST_CONNECT_ATTEMPTS; attempt++) {
      await vi.advanceTimersByTimeAsync(reconnectDelay(attempt - 1));
      socket().drop();
    }
    expect(view.error?.code).toBe('unreachable');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(FIRST_CONNECT_ATTEMPTS);
    session.restart();
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets).toHaveLength(FIRST_CONNECT_ATTEMPTS + 1);
    expect(phaseOf(view)).toBe('connecting');
  });

  it('shows why the page could not authenticate', async () => {
    const refused: AuthProvider = {
      kind: 'matrix',
      credentials: () => Promise.reject(new AuthFailure('openid_refused', 'declined')),
    };
    const { view, session, sockets } = setup(refused);
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(view.error).toEqual({ code: 'openid_refused', detail: 'declined' });
    expect(sockets).toHaveLength(0);
  });

  it('tries again when the hello fails for a passing reason', async () => {
    const { view, session, socket, sockets } = setup();
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    socket().open();
    socket().receive({ type: 'error', code: 'unavailable', message: 'homeserver down' });
    expect(sockets[0]?.closed).toBe(true);
    expect(view.connection).toBe('connecting');
    await vi.advanceTimersByTimeAsync(reconnectDelay(1));
    expect(sockets).toHaveLength(2);
    socket().open();
    socket().receive(welcome());
    expect(phaseOf(view)).toBe('start');
  });

  it('stops when the gateway throttles wrong links from this address', async () => {
    const { view, session, socket, sockets } = setup();
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    socket().open();
    socket().receive({ type: 'error', code: 'rate_limited', message: 'too many wrong links' });
    expect(view.error?.code).toBe('rate_limited');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('finds the socket URL in /config.json, else on the page’s origin', async () => {
    const page = { protocol: 'https:', host: 'foyer.example.org' };
    const load = vi.fn(() =>
      Promise.resolve(
        parseSiteConfig({
          homeserverUrl: 'https://m.example.org',
          serverName: 'example.org',
          botUserId: '@foyer:example.org',
          webUrl: 'https://foyer.example.org',
          conferenceUrl: 'wss://gw.example.org/ws/conference',
        }),
      ),
    );
    const find = conferenceUrlFinder(page, load);
    expect(await find()).toBe('wss://gw.example.org/ws/conference');
    expect(await find()).toBe('wss://gw.example.org/ws/conference');
    expect(load).toHaveBeenCalledTimes(1);
    const offline = conferenceUrlFinder(page, () => Promise.resolve(undefined));
    expect(await offline()).toBe('wss://foyer.example.org/ws/conference');
    const unsafe = parseSiteConfig({
      homeserverUrl: 'https://m.example.org',
      serverName: 'x',
      botUserId: '@foyer:x',
      webUrl: 'https://w.example.org',
      conferenceUrl: 'javascript:x',
    });
    expect(unsafe).toMatchObject({ serverName: 'x' });
    expect(unsafe).not.toHaveProperty('conferenceUrl');
  });

  it('builds the socket URL from the page', () => {
    expect(conferenceSocketUrl({ protocol: 'https:', host: 'foyer.example.org' })).toBe(
      'wss://foyer.example.org/ws/conference',
    );
    expect(conferenceSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe(
      'ws://127.0.0.1:8080/ws/conference',
    );
  });
});

describe('ConferenceSession: chat', () => {
  const line = (extra: Record<string, unknown> = {}) => ({
    type: 'chat',
    message: {
      id: '$e1',
      sender: '@foyer_guest_1:example.org',
      senderName: 'Ann',
      senderKind: 'guest',
      body: 'hello',
      ts: 1_700_000_000_000,
      ...extra,
    },
  });

  async function joined() {
    const parts = setup();
    await parts.connect();
    parts.session.join('Ann');
    parts.socket().receive(state({ admitted: true }));
    return parts;
  }

  it('shows an own line as pending until the gateway echoes its txnId', async () => {
    const { view, session, socket } = await joined();
    expect(session.sendChat('hello')).toBe(true);
    expect(socket().sent.at(-1)).toEqual({ type: 'chat.send', txnId: 'txn1', body: 'hello' });
    expect(view.chat).toMatchObject([{ status: 'pending', own: true, body: 'hello' }]);
    socket().receive(line({ txnId: 'txn1' }));
    expect(view.chat).toHaveLength(1);
    expect(view.chat[0]).toMatchObject({ status: 'sent', id: '$e1', own: true, senderName: 'Ann' });
    socket().receive(line({ txnId: 'txn1' }));
    expect(view.chat).toHaveLength(1);
    expect(session.sendChat('   ')).toBe(false);
  });

  it('keeps a failed line for retry (as a new transaction) or editing', async () => {
    const { view, session, socket } = await joined();
    session.sendChat('first');
    socket().receive({ type: 'chat.failed', txnId: 'txn1', message: 'too fast' });
    expect(view.chat[0]).toMatchObject({ status: 'failed', failure: 'too fast', body: 'first' });
    session.retryChat('txn1');
    expect(socket().sent.at(-1)).toEqual({ type: 'chat.send', txnId: 'txn2', body: 'first' });
    expect(view.chat[0]).toMatchObject({ status: 'pending', txnId: 'txn2' });
    socket().receive({ type: 'chat.failed', txnId: 'txn2', message: 'still' });
    view.chatDraft = 'draft';
    session.editChat('txn2');
    expect(view.chat).toHaveLength(0);
    expect(view.chatDraft).toBe('first\ndraft');
  });

  it('adds lines from others once, and removes redacted ones', async () => {
    const { view, socket } = await joined();
    socket().receive(line());
    socket().receive(line());
    socket().receive(line({ id: '$e2', body: '<b>hi</b>', html: '<b>hi</b>' }));
    expect(view.chat.map((e) => e.id)).toEqual(['$e1', '$e2']);
    expect(view.chat[1]).toMatchObject({ own: false, html: '<b>hi</b>' });
    socket().receive({ type: 'chat.redacted', id: '$e1' });
    expect(view.chat.map((e) => e.id)).toEqual(['$e2']);
  });

  it('sends lines typed while disconnected once joined again, with the same txnId', async () => {
    const { view, session, socket } = await joined();
    socket().drop();
    session.sendChat('offline');
    expect(view.chat[0]).toMatchObject({ status: 'pending' });
    await vi.advanceTimersByTimeAsync(reconnectDelay(1));
    socket().open();
    socket().receive(welcome());
    expect(socket().types()).toEqual(['hello', 'join']);
    socket().receive(state({ admitted: true }));
    expect(socket().sent.at(-1)).toEqual({ type: 'chat.send', txnId: 'txn1', body: 'offline' });
    socket().receive(state({ admitted: true }));
    expect(
      socket()
        .types()
        .filter((t) => t === 'chat.send'),
    ).toHaveLength(1);
  });
});

describe('deviceProblemOf', () => {
  it('maps getUserMedia errors to what the person can do', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    expect(deviceProblemOf(named('NotAllowedError'))).toBe('permission');
    expect(deviceProblemOf(named('NotFoundError'))).toBe('not_found');
    expect(deviceProblemOf(named('NotReadableError'))).toBe('in_use');
    expect(deviceProblemOf(named('NoMediaDevices'))).toBe('insecure');
    expect(deviceProblemOf('weird')).toBe('other');
  });
});
