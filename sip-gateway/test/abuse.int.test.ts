// One attacker must not shut anyone out (issue 16): against the real stack, floods are sent in
// parallel from other loopback addresses (other clients, another trunk), and the test checks
// both that they are held back and that everybody else still gets in.
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '@foyer/common/conference-protocol';
import { ConferenceClient } from '../../tests/helpers/conference.ts';
import {
  eventually,
  groupWithGuestAccess,
  joinedMembers,
  newUser,
  stateOf,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import {
  ANSWERED,
  CALLER_BYE,
  EXPECT_BYE,
  ACK_FAILURE,
  infoKeys,
  INVITE,
  runSipp,
  scenario,
} from '../../tests/helpers/sipp.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info, config } = testStack();
const sip = { host: info.sip.host, port: info.sip.port };

let alice: TestUser;
let roomId: string;
let pin: string;
let token: string;

const puppets = async (kind: 'guest' | 'phone') =>
  (await joinedMembers(info, alice, roomId)).filter((m) => m.startsWith(`@foyer_${kind}_`));

/** The answer to a hello: the welcome or the error. */
const answer = (c: ConferenceClient) => c.next((m) => m.type === 'welcome' || m.type === 'error', 30_000);
const code = (m: ServerMessage) => (m.type === 'error' ? m.code : m.type);

/** Gateway log lines of one event from one source address since `since` (ms). */
function gatewayEvents(event: string, source: string, since: number): number {
  return readFileSync(join(info.logs, 'sip-gateway.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"event":"${event}"`) && l.includes(`"source":"${source}"`))
    .filter((l) => Number((JSON.parse(l) as { time?: number }).time ?? 0) >= since).length;
}

beforeAll(async () => {
  alice = await newUser(info, 'abuse');
  ({ roomId, pin } = await groupWithGuestAccess(info, alice, 'Abuse'));
  const conf = await stateOf<{ join_url: string }>(info, alice, roomId, 'org.foyer.conference');
  token = conf?.join_url.split('/').pop() ?? '';
  expect(token).not.toBe('');
});

describe('conference WebSocket: one participant per socket', () => {
  it('joins sent at once make one participant, hellos one welcome; all gone when the socket closes', async () => {
    const guest = await ConferenceClient.open(info);
    for (let i = 0; i < 4; i++) guest.send({ type: 'hello', auth: { kind: 'guest', token, name: `Racer ${i}` } });
    for (let i = 0; i < 6; i++) guest.send({ type: 'join', name: `Racer ${i}` });
    await guest.state((s) => s.joined);
    await new Promise((r) => setTimeout(r, 1500)); // every message answered
    expect(guest.messages.filter((m) => m.type === 'welcome')).toHaveLength(1);
    expect(guest.messages.filter((m) => m.type === 'error' && m.code === 'bad_message')).toHaveLength(3);
    const latest = [...guest.messages].reverse().find((m) => m.type === 'state');
    expect(latest?.type === 'state' && latest.participants.filter((p) => p.kind === 'guest')).toHaveLength(1);
    await eventually(async () => (await puppets('guest')).length === 1, 'one guest in the room');
    await guest.close();
    await eventually(async () => (await puppets('guest')).length === 0, 'no guest left in the room', 20_000);
    await eventually(
      async () =>
        (await stateOf<{ waiting: number }>(info, alice, roomId, 'org.foyer.conference'))?.waiting === 0 || undefined,
      'nobody waiting',
    );
  });

  it('a socket closed while its join is still being checked leaves nobody behind', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await ConferenceClient.open(info);
      c.send({ type: 'hello', auth: { kind: 'guest', token, name: `Ghost ${i}` } });
      c.send({ type: 'join', name: `Ghost ${i}` });
      c.ws.terminate();
    }
    await new Promise((r) => setTimeout(r, 3000));
    await eventually(async () => (await puppets('guest')).length === 0, 'no ghost guests', 20_000);
  });

  it('a guest muted by a moderator cannot unmute itself', async () => {
    const mod = await ConferenceClient.asMember(info, alice, roomId);
    const guest = await ConferenceClient.open(info);
    guest.send({ type: 'hello', auth: { kind: 'guest', token, name: 'Muted Guest' } });
    await answer(guest);
    guest.send({ type: 'join' });
    const joined = await guest.state((s) => s.joined && s.participantId !== null);
    const id = joined.participantId ?? '';
    mod.send({ type: 'mute', participantId: id, muted: true });
    await guest.state((s) => s.participants.some((p) => p.id === id && p.muted));
    guest.send({ type: 'mute', participantId: id, muted: false });
    const refused = await guest.next((m) => m.type === 'error');
    expect(refused).toMatchObject({ code: 'muted_by_moderator', fatal: false });
    const after = await mod.state((s) => s.participants.some((p) => p.id === id));
    expect(after.participants.find((p) => p.id === id)?.muted).toBe(true);
    mod.send({ type: 'mute', participantId: id, muted: false });
    await guest.state((s) => s.participants.some((p) => p.id === id && !p.muted));
    await guest.close();
    await mod.close();
  });
});

describe('hello throttling: per client, counted in flight, no global switch', () => {
  const limit = config.gateway.conference.maxLinkFailures;

  /** `n` hellos with wrong links at once, each on its own socket; their answers. */
  async function wrongLinks(n: number, o: { from: string; forwardedFor?: (i: number) => string }) {
    const clients = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        ConferenceClient.open(info, {
          from: o.from,
          ...(o.forwardedFor ? { headers: { 'x-forwarded-for': o.forwardedFor(i) } } : {}),
        }),
      ),
    );
    for (const c of clients)
      c.send({
        type: 'hello',
        auth: { kind: 'guest', token: `wrong${c.ws.url.length}x${Math.random()}`.replace('.', '') },
      });
    const answers = await Promise.all(clients.map(answer));
    await Promise.all(clients.map((c) => c.close()));
    return answers.map(code);
  }

  it('300 wrong links at once from one address: only the limit is checked; the right link works elsewhere', async () => {
    const answers = await wrongLinks(300, { from: '127.0.0.3' });
    expect(answers.filter((a) => a === 'link_revoked').length).toBeLessThanOrEqual(limit);
    expect(answers.filter((a) => a === 'rate_limited').length).toBeGreaterThanOrEqual(300 - limit);
    // One after another, the address soon uses up its window ...
    let refusedAfter = 0;
    while (refusedAfter <= limit && (await wrongLinks(1, { from: '127.0.0.3' }))[0] !== 'rate_limited') refusedAfter++;
    expect(refusedAfter).toBeLessThan(limit);
    // ... and then waits, even with the right link ...
    const same = await ConferenceClient.open(info, { from: '127.0.0.3' });
    same.send({ type: 'hello', auth: { kind: 'guest', token } });
    expect(code(await answer(same))).toBe('rate_limited');
    await same.close();
    // ... but nobody else does.
    const other = await ConferenceClient.open(info, { from: '127.0.0.5' });
    other.send({ type: 'hello', auth: { kind: 'guest', token } });
    expect(code(await answer(other))).toBe('welcome');
    await other.close();
  });

  it('behind the trusted proxy each browser counts alone; a header from anyone else is ignored', async () => {
    const viaProxy = await wrongLinks(limit + 5, { from: '127.0.0.4', forwardedFor: () => '198.51.100.7' });
    expect(viaProxy.filter((a) => a === 'rate_limited').length).toBeGreaterThanOrEqual(5);
    const neighbour = await ConferenceClient.open(info, {
      from: '127.0.0.4',
      headers: { 'x-forwarded-for': '198.51.100.8' },
    });
    neighbour.send({ type: 'hello', auth: { kind: 'guest', token } });
    expect(code(await answer(neighbour))).toBe('welcome');
    await neighbour.close();
    // Not a trusted proxy: inventing a new address per request changes nothing.
    const spoofed = await wrongLinks(limit + 5, { from: '127.0.0.6', forwardedFor: (i) => `203.0.113.${i + 1}` });
    expect(spoofed.filter((a) => a === 'rate_limited').length).toBeGreaterThanOrEqual(5);
  });

  it('300 bogus OpenID hellos at once are not all checked', async () => {
    const clients = await Promise.all(
      Array.from({ length: 300 }, () => ConferenceClient.open(info, { from: '127.0.0.7' })),
    );
    for (const c of clients)
      c.send({
        type: 'hello',
        auth: { kind: 'matrix', userId: alice.userId, roomId, openidToken: 'bogus', serverName: info.serverName },
      });
    const answers = (await Promise.all(clients.map(answer))).map(code);
    await Promise.all(clients.map((c) => c.close()));
    expect(answers.filter((a) => a !== 'rate_limited').length).toBeLessThanOrEqual(limit);
    expect(answers.filter((a) => a === 'welcome')).toHaveLength(0);
  });
});

describe('PIN throttling counts what is in flight', () => {
  const perSource = config.gateway.throttle.perSource.maxFailures;
  const rightPin = (caller: string) =>
    scenario(
      `${INVITE(caller)}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${infoKeys(`${pin}#`)}\n  <pause milliseconds="3000"/>\n${CALLER_BYE}`,
    );

  it('a parallel flood from one trunk is held at its limit; the other trunk and known callers still get in', async () => {
    // A caller who has entered the right PIN from the flooding trunk before.
    const before = await runSipp(rightPin('+4930777000222'), sip, { from: '127.0.0.2' });
    expect(before.code, before.output + before.errors).toBe(0);
    await eventually(async () => (await puppets('phone')).length === 0, 'the first caller gone', 20_000);

    const since = Date.now();
    const wrongs = [1, 2, 3].map((i) => infoKeys('11#', i * 10)).join('\n  <pause milliseconds="2500"/>\n');
    const flood = runSipp(
      scenario(`${INVITE('+4990000[call_number]')}
  <recv response="403" optional="true" next="refused"/>
  <recv response="503" optional="true" next="refused"/>
${ANSWERED}
  <pause milliseconds="300"/>
${wrongs}
${EXPECT_BYE(20_000)}
  <label id="refused"/>`),
      sip,
      { from: '127.0.0.2', calls: 100, extra: ['-l', '100', '-r', '100'], timeoutS: 45, limitMs: 60_000 },
    );
    // During the flood, a newcomer through the other trunk enters the right PIN.
    await new Promise((r) => setTimeout(r, 2000));
    const during = await runSipp(rightPin('+4930777000111'), sip);
    expect(during.code, during.output + during.errors).toBe(0);
    await flood;

    const checked = gatewayEvents('pin_failed', '127.0.0.2', since);
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(perSource);
    expect(gatewayEvents('pin_throttled', '127.0.0.2', since)).toBeGreaterThanOrEqual(100 - perSource);

    // The flooding trunk is blocked for newcomers, not for the caller it knows.
    const newcomer = await runSipp(
      scenario(`${INVITE('+4930777000333')}\n  <recv response="403"/>\n${ACK_FAILURE(5)}`),
      sip,
      {
        from: '127.0.0.2',
      },
    );
    expect(newcomer.code, newcomer.output + newcomer.errors).toBe(0);
    const known = await runSipp(rightPin('+4930777000222'), sip, { from: '127.0.0.2' });
    expect(known.code, known.output + known.errors).toBe(0);
  });
});

describe('SIP over TCP bounded', () => {
  it('one stranger holding many TCP connections gets only its share; UDP and the conference socket still answer', async () => {
    const cap = config.gateway.sip.limits.maxConnectionsPerSource;
    const sockets = await Promise.all(
      Array.from(
        { length: cap + 30 },
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect({ host: sip.host, port: sip.port, localAddress: '127.0.0.8' }, () => resolve(s));
            s.on('error', () => resolve(s));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open' && !s.readableEnded);
    expect(open.length).toBeLessThanOrEqual(cap);
    // Meanwhile a phone on UDP is answered ...
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const { port } = udp.address();
    const reply = new Promise<string>((resolve) => udp.once('message', (m) => resolve(m.toString())));
    udp.send(
      [
        `OPTIONS sip:${info.dialInNumber.replace(/[^0-9+]/g, '')}@${sip.host}:${sip.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${Date.now()}`,
        `From: <sip:probe@127.0.0.1:${port}>;tag=probe`,
        `To: <sip:${sip.host}:${sip.port}>`,
        `Call-ID: tcp-flood-probe-${Date.now()}`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      sip.port,
      sip.host,
    );
    expect(await Promise.race([reply, new Promise<string>((r) => setTimeout(() => r('no answer'), 5000))])).toMatch(
      /^SIP\/2\.0 200/,
    );
    udp.close();
    // ... and so is a page.
    const page = await ConferenceClient.open(info);
    page.send({ type: 'hello', auth: { kind: 'guest', token } });
    expect(code(await answer(page))).toBe('welcome');
    await page.close();
    for (const s of sockets) s.destroy();
  });
});

describe('no secrets or numbers in the logs', () => {
  it('the guest link, the PIN and every caller number used above appear in no log of the stack', async () => {
    const page = await fetch(`${info.webUrl}/join/${token}`);
    expect(page.status).toBe(200);
    await page.body?.cancel();
    await new Promise((r) => setTimeout(r, 500));
    const secrets = [token, pin, '+4930777000111', '+4930777000222', '+4930777000333', '+4990000'];
    for (const file of readdirSync(info.logs)) {
      const text = readFileSync(join(info.logs, file), 'utf8');
      for (const s of secrets) expect(text.includes(s), `${s.slice(0, 6)}… in ${file}`).toBe(false);
    }
    // The lines are there, masked.
    expect(readFileSync(join(info.logs, 'web.log'), 'utf8')).toContain('"path":"/join/…"');
    expect(readFileSync(join(info.logs, 'sip-gateway.log'), 'utf8')).toContain('"caller":"+49 307 •••• 111"');
  });
});
