// Callers are heard whatever their packet time and across stream restarts (issue 17): a probe
// caller sends a tone in 30 ms packets, then restarts its stream (new SSRC, sequence numbers and
// timestamps that jump, as a looping recording or a trunk's re-INVITE does); a phone in the same
// conference must hear the tone in both halves, judged by its energy in what that phone recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../tests/helpers/baresip.ts';
import { ConferenceClient, type StateMessage } from '../../tests/helpers/conference.ts';
import { groupWithGuestAccess, newUser } from '../../tests/helpers/matrix.ts';
import { tonePcap } from '../../tests/helpers/pcap.ts';
import {
  ANSWERED,
  CALLER_BYE,
  freePort,
  INVITE,
  rfc4733Keys,
  runSipp,
  scenario,
  testRtpRange,
} from '../../tests/helpers/sipp.ts';
import { testStack } from '../../tests/helpers/stack.ts';

const { info } = testStack();
const sip = { host: info.sip.host, port: info.sip.port };
const PROBE_HZ = 1200;
const HALF_MS = 4500;
const callers = (s: StateMessage) => s.participants.filter((p) => p.kind === 'phone');

let dir: string;
let listener: Baresip | undefined;
let moderator: ConferenceClient | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'foyer-ptime-'));
});

afterAll(async () => {
  await moderator?.close();
  if (listener) {
    await listener.stop();
    listener.cleanup();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('packet time and stream restarts', () => {
  it('a caller sending 30 ms packets, whose stream restarts mid-call, is heard in the mix before and after', async () => {
    const alice = await newUser(info, 'ptime');
    const { roomId, pin } = await groupWithGuestAccess(info, alice, 'Packet time');
    moderator = await ConferenceClient.asMember(info, alice, roomId);
    moderator.send({ type: 'join' });
    await moderator.state((s) => s.status === 'running', 15_000);

    const [rtpBase] = testRtpRange(100);
    listener = await Baresip.start({
      name: 'ptime-listener',
      sipPort: await freePort(),
      ctrlPort: await freePort(),
      rtpPorts: [rtpBase, rtpBase + 99],
      toneHz: 440,
    });
    await listener.dial(`sip:4999112341660@${sip.host}:${sip.port}`);
    await listener.waitFor('CALL_ESTABLISHED', 20_000);
    await listener.press(`${pin}#`);
    await moderator.state((s) => callers(s).length === 1 && callers(s).every((p) => !p.waiting), 20_000);

    // Second half: another SSRC, sequence numbers and timestamps that start over below the first
    // half's (a relay that judged by sequence alone would drop them all as late).
    const pcap = join(dir, 'probe-30ms.pcap');
    const { durationMs } = tonePcap(pcap, {
      toneHz: PROBE_HZ,
      ptimeMs: 30,
      segments: [
        { ssrc: 0x11111111, sequence: 100, timestamp: 1000, ms: HALF_MS },
        { ssrc: 0x22222222, sequence: 7, timestamp: 480, ms: HALF_MS },
      ],
    });
    const probe = runSipp(
      scenario(
        [
          INVITE('+4930555000030', { ptimeMs: 30 }),
          ANSWERED,
          '  <pause milliseconds="800"/>',
          rfc4733Keys(`${pin}#`),
          // Admitted into the running conference, past the join chime: then the probe speaks.
          '  <pause milliseconds="4000"/>',
          `  <nop><action><exec play_pcap_audio="${pcap}"/></action></nop>`,
          `  <pause milliseconds="${durationMs + 300}"/>`,
          CALLER_BYE,
        ].join('\n'),
      ),
      sip,
      { timeoutS: 40 },
    );
    await moderator.state((s) => callers(s).length === 2 && callers(s).every((p) => !p.waiting), 20_000);
    const result = await probe;
    expect(result.code, `${result.output}\n${result.errors}`).toBe(0);
    // sipp ends right after its BYE, which follows the pcap by 300 ms.
    const pcapEnd = Date.now() - 300;
    const pcapStart = pcapEnd - durationMs;
    const hungUpAt = Date.now();
    await listener.hangup();

    const first = listener.heard(hungUpAt, pcapStart + 700, pcapStart + HALF_MS - 400);
    const second = listener.heard(hungUpAt, pcapStart + HALF_MS + 700, pcapEnd - 400);
    expect(first.tone(PROBE_HZ), '30 ms packets are heard').toBeGreaterThan(0.5);
    expect(second.tone(PROBE_HZ), 'heard again after the stream restarted').toBeGreaterThan(0.5);
  }, 90_000);
});
