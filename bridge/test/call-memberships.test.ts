// Callers' and guests' call memberships against the fake homeserver: the delayed leave first,
// then the membership in matrix-js-sdk's state-event shape; leaving sends the delayed leave now;
// restarts keep it from firing and a leave that fired anyway starts the membership again; a
// homeserver without a LiveKit transport gets none.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@foyer/common';
import { callMemberStateKey, CallMemberships } from '../src/groups/call-memberships.ts';
import { FakeMatrix } from './fakes/fake-matrix.ts';

const BOT = '@foyer:example.org';
const PHONE = '@foyer_phone_abc:example.org';
const SERVICE = 'https://foyer.example.org/livekit/jwt';
const log = createLogger('test', 'silent');

function setup(transport = true) {
  const api = new FakeMatrix(BOT);
  api.addRoom('!g', '@alice:example.org');
  if (transport) api.transports = [{ type: 'livekit', livekit_service_url: SERVICE }];
  let now = 1_000_000;
  const calls = new CallMemberships({ api, log, now: () => now, restartEveryMs: 3_600_000 });
  const state = () =>
    api.rooms.get('!g')?.state.get(`org.matrix.msc3401.call.member\u0000_${PHONE}_FOYER_PHONE_m.call`);
  return { api, calls, state, advance: (ms: number) => (now += ms) };
}

describe('call memberships of virtual users', () => {
  it('state keys: a leading underscore except in MSC3757 rooms', () => {
    expect(callMemberStateKey(PHONE, 'FOYER_PHONE', '11')).toBe(`_${PHONE}_FOYER_PHONE_m.call`);
    expect(callMemberStateKey(PHONE, 'FOYER_PHONE', 'org.matrix.msc3757.11')).toBe(`${PHONE}_FOYER_PHONE_m.call`);
  });

  it('joins with a delayed leave scheduled first, in the shape Element Call reads, as the puppet', async () => {
    const { api, calls, state } = setup();
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    const [delayed] = [...api.delayed.values()];
    expect(delayed).toMatchObject({ roomId: '!g', type: 'org.matrix.msc3401.call.member', content: {}, as: PHONE });
    expect(state()).toMatchObject({
      sender: PHONE,
      content: {
        application: 'm.call',
        call_id: '',
        scope: 'm.room',
        device_id: 'FOYER_PHONE',
        membershipID: `${PHONE}:FOYER_PHONE`,
        focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
        foci_preferred: [{ type: 'livekit', livekit_service_url: SERVICE, livekit_alias: '!g' }],
      },
    });
    expect(calls.has('!g', PHONE)).toBe(true);
    await calls.join('!g', PHONE, 'FOYER_PHONE'); // already in: nothing more
    expect(api.delayed.size).toBe(1);
  });

  it('leaving sends the delayed leave now: the membership is empty and nothing stays scheduled', async () => {
    const { api, calls, state } = setup();
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    await calls.leave('!g', PHONE);
    expect(state()?.content).toEqual({});
    expect(api.delayed.size).toBe(0);
    expect(calls.has('!g', PHONE)).toBe(false);
  });

  it('restarts the delayed leaves; one that fired anyway starts the membership again', async () => {
    const { api, calls, state } = setup();
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    await calls.restartAll();
    expect(api.calls.filter((c) => c === 'delayed restart')).toHaveLength(1);
    // The homeserver sent the leave (the bridge was away too long).
    const [id] = [...api.delayed.keys()];
    await api.updateDelayedEvent(id!, 'send');
    expect(state()?.content).toEqual({});
    await calls.restartAll();
    expect(state()?.content).toMatchObject({ device_id: 'FOYER_PHONE' });
    expect(api.delayed.size).toBe(1);
  });

  it('taking over after a bridge restart cancels the earlier process’s delayed leave', async () => {
    const { api, calls, state } = setup();
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    const [stale] = [...api.delayed.keys()];
    // A new process: it knows nothing of the membership, the homeserver still has the delayed leave.
    const restarted = new CallMemberships({ api, log, restartEveryMs: 3_600_000 });
    await restarted.join('!g', PHONE, 'FOYER_PHONE', true);
    restarted.stop();
    expect(api.delayed.has(stale!)).toBe(false);
    expect(api.delayed.size).toBe(1);
    expect(state()?.content).toMatchObject({ device_id: 'FOYER_PHONE' });
  });

  it('renews a membership before its expiry', async () => {
    const { calls, state, advance } = setup();
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    const first = state()?.content.expires as number;
    advance(first - 5 * 60_000);
    await calls.restartAll();
    expect(state()?.content.expires).toBe(2 * first);
  });

  it('sends nothing when the homeserver advertises no LiveKit transport', async () => {
    const { api, calls, state } = setup(false);
    await calls.join('!g', PHONE, 'FOYER_PHONE');
    expect(state()).toBeUndefined();
    expect(api.delayed.size).toBe(0);
  });
});
