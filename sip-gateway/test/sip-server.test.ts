// The SIP server against a real peer: SIPp scenarios (sip-gateway/test/sipp/) over UDP and TCP,
// each a single call, checked by SIPp's exit code and by the events the application saw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSipp, startTestServer, type RecordedCall, type TestServer } from './sipp/harness.ts';

const SIPP_TEST_MS = 30_000;

describe.each(['u1', 't1'] as const)('SIP calls with SIPp (-t %s)', (transport) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Run a scenario and return the call it made (if any). */
  async function call(scenario: string, service = 'answer', extra: string[] = []): Promise<RecordedCall | undefined> {
    const before = t.calls.length;
    const r = await runSipp({ scenario, serverPort: t.port, transport, service, extra });
    expect(r.code, r.output).toBe(0);
    return t.calls[before];
  }

  it(
    'caller hangs up: INVITE, 100/180, 200 with our SDP, ACK, BYE',
    async () => {
      const c = await call('invite-bye.xml');
      expect(await c?.ended).toBe('bye');
      expect(c?.events.map((e) => e[0])).toEqual(['ack', 'bye', 'ended']);
      expect(c?.call).toMatchObject({
        caller: '+4930123456',
        callerDisplayName: 'Alice Caller',
        dialled: 'answer',
        trunk: 'loopback',
        state: 'ended',
      });
      expect(c?.call.source).toMatchObject({ address: '127.0.0.1', transport: transport === 'u1' ? 'udp' : 'tcp' });
      expect(c?.call.offer).toEqual({
        address: '127.0.0.1',
        port: 6000,
        payloadTypes: [8, 0, 101],
        g711: [8, 0],
        telephoneEvent: 101,
        direction: 'sendrecv',
        ptime: 20,
      });
    },
    SIPP_TEST_MS,
  );

  it(
    'we hang up: our BYE reaches the caller on its own flow and is answered',
    async () => {
      const c = await call('our-bye.xml', 'hangup');
      expect(await c?.ended).toBe('hangup');
      expect(c?.events.map((e) => e[0])).toEqual(['ack', 'ended']);
    },
    SIPP_TEST_MS,
  );

  it(
    'CANCEL while ringing: 200 for the CANCEL, 487 for the INVITE',
    async () => {
      const c = await call('cancel.xml', 'ring');
      expect(await c?.ended).toBe('cancel');
      expect(c?.events).toEqual([['cancel'], ['ended', 'cancel']]);
    },
    SIPP_TEST_MS,
  );

  it(
    'hold by re-INVITE (a=sendonly): 200 with a=recvonly and a reinvite event',
    async () => {
      const c = await call('reinvite.xml');
      expect(await c?.ended).toBe('bye');
      const reinvite = c?.events.find((e) => e[0] === 'reinvite');
      expect(reinvite?.[1]).toMatchObject({ direction: 'sendonly', port: 6000, g711: [0] });
    },
    SIPP_TEST_MS,
  );

  it(
    'DTMF by INFO (application/dtmf-relay and application/dtmf)',
    async () => {
      const c = await call('info.xml');
      expect(await c?.ended).toBe('bye');
      expect(c?.events.filter((e) => e[0] === 'info')).toEqual([
        ['info', '5'],
        ['info', '#'],
      ]);
    },
    SIPP_TEST_MS,
  );

  it(
    'early media: 183 with SDP, then 200',
    async () => {
      const c = await call('early-media.xml', 'early');
      expect(await c?.ended).toBe('bye');
      expect(c?.events.map((e) => e[0])).toEqual(['ack', 'bye', 'ended']);
    },
    SIPP_TEST_MS,
  );

  it(
    'retransmits the 200 until the ACK comes',
    async () => {
      // -nr: SIPp would otherwise swallow the repeated 200 as a retransmission.
      const c = await call('retransmit-200.xml', 'answer', ['-nr']);
      expect(await c?.ended).toBe('bye');
      expect(c?.events.map((e) => e[0])).toEqual(['ack', 'bye', 'ended']);
    },
    SIPP_TEST_MS,
  );

  it(
    'OPTIONS gets 200 with Allow',
    async () => {
      expect(await call('options.xml')).toBeUndefined();
    },
    SIPP_TEST_MS,
  );

  it(
    'MESSAGE and SUBSCRIBE get 405 with Allow, an unknown method 501',
    async () => {
      expect(await call('unsupported-methods.xml')).toBeUndefined();
    },
    SIPP_TEST_MS,
  );

  it(
    'BYE and INFO for an unknown dialog get 481',
    async () => {
      expect(await call('bye-481.xml')).toBeUndefined();
    },
    SIPP_TEST_MS,
  );

  it(
    'an INVITE offering only G.729 gets 488 and never reaches the application',
    async () => {
      expect(await call('g729-488.xml')).toBeUndefined();
    },
    SIPP_TEST_MS,
  );
});

describe('SIP trunks with SIPp', () => {
  let foreign: TestServer;
  let digest: TestServer;
  beforeAll(async () => {
    foreign = await startTestServer({ trunks: [{ name: 'carrier', sourceAddresses: ['10.0.0.0/8'] }] });
    digest = await startTestServer({
      trunks: [{ name: 'digest', sourceAddresses: [], username: 'alice', password: 'correct-horse-battery' }],
    });
  });
  afterAll(async () => {
    await Promise.all([foreign.close(), digest.close()]);
  });

  it(
    'refuses a source that no trunk allows with 403 and logs it for fail2ban',
    async () => {
      const r = await runSipp({ scenario: 'refused-403.xml', serverPort: foreign.port, transport: 'u1' });
      expect(r.code, r.output).toBe(0);
      expect(foreign.calls).toHaveLength(0);
      expect(foreign.logs).toContainEqual(
        expect.objectContaining({ event: 'sip_refused', source: '127.0.0.1', reason: 'source-not-allowed' }),
      );
    },
    SIPP_TEST_MS,
  );

  it(
    'challenges with 401 and lets the call in with the right credentials',
    async () => {
      const r = await runSipp({
        scenario: 'auth.xml',
        serverPort: digest.port,
        transport: 'u1',
        extra: ['-au', 'alice', '-ap', 'correct-horse-battery'],
      });
      expect(r.code, r.output).toBe(0);
      expect(digest.calls).toHaveLength(1);
      expect(digest.calls[0]?.call.trunk).toBe('digest');
      expect(await digest.calls[0]?.ended).toBe('bye');
    },
    SIPP_TEST_MS,
  );

  it(
    'refuses wrong credentials with 403 and logs it',
    async () => {
      const r = await runSipp({
        scenario: 'auth-refused.xml',
        serverPort: digest.port,
        transport: 't1',
        extra: ['-au', 'alice', '-ap', 'not-the-password'],
      });
      expect(r.code, r.output).toBe(0);
      expect(digest.calls).toHaveLength(1);
      expect(digest.logs).toContainEqual(
        expect.objectContaining({ event: 'sip_refused', source: '127.0.0.1', reason: 'bad-credentials' }),
      );
    },
    SIPP_TEST_MS,
  );
});
