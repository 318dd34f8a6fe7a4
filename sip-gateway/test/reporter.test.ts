// Conference reports to the bridge: the first whole, then changes since what the bridge last
// confirmed; one report in flight (a burst becomes a few reports); the whole conference again
// when the bridge asks (409) or after a report failed; nothing when nothing changed.
import { describe, expect, it } from 'vitest';
import {
  conferenceChanges,
  createLogger,
  type ConferenceChanges,
  type ConferenceReport,
  type ReportedParticipant,
} from '@foyer/common';
import { ConferenceReporter } from '../src/conference/reporter.ts';

const log = createLogger('test', 'silent');
const phone = (id: string, waiting = false): ReportedParticipant => ({ id, kind: 'phone', number: null, waiting });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function setup(o: { answer?: (c: ConferenceChanges) => Promise<'ok' | 'resync'> } = {}) {
  let now: ConferenceReport = { status: 'waiting', participants: [] };
  const sent: (['whole', ConferenceReport] | ['changes', ConferenceChanges])[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await tick(10);
      return await work();
    } finally {
      inFlight--;
    }
  };
  const r = new ConferenceReporter({
    roomId: '!room',
    log,
    delayMs: 1,
    snapshot: () => now,
    sink: {
      reportConference: (_room, report) => track(async () => void sent.push(['whole', report])),
      reportChanges: (_room, changes) =>
        track(async () => {
          sent.push(['changes', changes]);
          return o.answer ? o.answer(changes) : 'ok';
        }),
    },
  });
  return {
    r,
    sent,
    set: (x: ConferenceReport) => (now = x),
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

describe('conference reports', () => {
  it('computes joined, changed and left; nothing when nothing changed', () => {
    const before = { seq: 4, status: 'waiting' as const, participants: [phone('a', true), phone('b', true)] };
    expect(conferenceChanges(before, { status: 'running', participants: [phone('a'), phone('c')] }, 5)).toEqual({
      seq: 5,
      since: 4,
      status: 'running',
      joined: [phone('c')],
      changed: [phone('a')],
      left: ['b'],
    });
    expect(conferenceChanges(before, { status: 'waiting', participants: [...before.participants] }, 5)).toBeUndefined();
  });

  it('sends the first report whole, then changes; a burst while one is in flight becomes one report', async () => {
    const t = setup();
    t.set({ status: 'waiting', participants: [phone('a')] });
    t.r.schedule();
    await tick(3); // the first report is in flight
    for (let i = 0; i < 30; i++) {
      t.set({
        status: 'waiting',
        participants: [phone('a'), ...Array.from({ length: i + 1 }, (_, k) => phone(`n${k}`))],
      });
      t.r.schedule();
    }
    await tick(60);
    expect(t.maxInFlight).toBe(1);
    expect(t.sent.map(([kind]) => kind)).toEqual(['whole', 'changes']);
    const [, changes] = t.sent[1] as ['changes', ConferenceChanges];
    expect(changes.joined).toHaveLength(30);
    expect(changes.since).toBe((t.sent[0]![1] as ConferenceReport).seq);
    t.r.schedule(); // nothing changed: nothing sent
    await tick(30);
    expect(t.sent).toHaveLength(2);
  });

  it('sends the whole conference when the bridge asks for it', async () => {
    let first = true;
    const t = setup({
      answer: async () => {
        const a = first ? 'resync' : 'ok';
        first = false;
        return a;
      },
    });
    t.r.schedule();
    await tick(30);
    t.set({ status: 'running', participants: [phone('a')] });
    t.r.schedule();
    await tick(60);
    expect(t.sent.map(([kind]) => kind)).toEqual(['whole', 'changes', 'whole']);
    const seqs = t.sent.map(([, x]) => x.seq as number);
    expect(seqs[2]).toBeGreaterThan(seqs[1]!);
    expect(t.sent[2]![1]).toMatchObject({ status: 'running', participants: [phone('a')] });
  });

  it('after a failed report, starts again from what the bridge confirmed', async () => {
    let fail = true;
    const t = setup({
      answer: async () => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('timeout'), { status: 503 });
        }
        return 'ok';
      },
    });
    t.r.schedule();
    await tick(30);
    t.set({ status: 'running', participants: [phone('a')] });
    t.r.schedule();
    await tick(30); // fails; retried after a second
    t.set({ status: 'running', participants: [phone('a'), phone('b')] });
    await tick(1100);
    const [, retry] = t.sent.at(-1) as ['changes', ConferenceChanges];
    expect(retry.since).toBe((t.sent[0]![1] as ConferenceReport).seq);
    expect(retry.joined.map((p) => p.id)).toEqual(['a', 'b']);
    t.r.stop();
  });
});
