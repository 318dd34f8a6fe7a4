// Fixed rooms' conference rules with callers, on small fakes of the relay and the callers' mix: no
// moderator needed (or a moderator PIN), hold music while alone, start muted, capacity, *7 lock
// and *8 mute all for phone moderators, names announced into the mix; what the bridge is told
// while the mix is away; the bridge's policy reaching a running conference.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConferenceReport } from '@foyer/common';
import {
  Conference,
  GROUP_POLICY,
  MAX_REJOINS,
  reportedStatus,
  type ConferenceDeps,
  type ConferencePolicy,
} from '../src/conference/conference.ts';
import { ConferenceManager } from '../src/conference/manager.ts';
import type { CallerJoin } from '../src/conference/mix.ts';
import type { PhoneParticipant } from '../src/conference/participants.ts';
import type { Relay } from '../src/media/relay-host.ts';
import type { IncomingCall } from '../src/sip/types.ts';

const sound = (name: string) => Buffer.from(name);

/** The callers' mix: legs joined and left, mutes, and whether it is there. */
class FakeMix extends EventEmitter<{ down: []; up: [] }> {
  available = true;
  joined: string[] = [];
  left: string[] = [];
  mutes: [string, boolean][] = [];
  identity(participantId: string): string {
    return `phone ${participantId}`;
  }
  async join(j: CallerJoin) {
    this.joined.push(j.participantId);
    return {
      remote: { address: '127.0.0.1', port: 5000 },
      setMuted: (m: boolean) => void this.mutes.push([j.participantId, m]),
      leave: async () => void this.left.push(j.participantId),
    };
  }
}

class FakeRelay extends EventEmitter {
  mode: 'lobby' | 'mix' = 'lobby';
  muted = false;
  musicInMix = false;
  level = -127;
  mixPort = 4000;
  heard: string[] = [];
  announced: string[] = [];
  background: string | undefined;
  play(b: Buffer, o: { loop: boolean }) {
    if (o.loop) this.background = b.toString();
    else this.heard.push(b.toString());
  }
  stopPlayback(o: { music?: boolean } = {}) {
    if (o.music) this.background = undefined;
  }
  setMix() {}
  announce(b: Buffer) {
    this.announced.push(b.toString());
    setImmediate(() => this.emit('announced'));
  }
  close() {}
}

function setup(policy: Partial<ConferencePolicy>) {
  const reports: ConferenceReport[] = [];
  const mix = new FakeMix();
  const deps = {
    browsers: { available: true },
    mix,
    bridge: {
      reportConference: async (_roomId: string, r: ConferenceReport) => {
        reports.push(r);
      },
    },
    prompts: { get: sound, count: (n: number) => sound(`count-${n}`) },
    log: pino({ level: 'silent' }),
    reportDelayMs: 0,
  } as unknown as ConferenceDeps;
  const c = new Conference('!room', deps);
  c.policy = { ...GROUP_POLICY, ...policy };
  const phone = (id: string, moderator = false, name?: string) => {
    const relay = new FakeRelay();
    const keys = new EventEmitter<{ digit: [string] }>();
    const p: PhoneParticipant = {
      id,
      kind: 'phone',
      roomId: '!room',
      number: '+4930123456',
      call: { state: 'confirmed', hangup: () => undefined } as unknown as IncomingCall,
      relay: relay as unknown as Relay,
      keys,
      moderator,
      ...(name ? { name: sound(name) } : {}),
      joinedAt: Date.now(),
    };
    const press = async (k: string) => {
      for (const d of k) keys.emit('digit', d);
      await new Promise((r) => setTimeout(r, 5));
    };
    return { p, relay, press };
  };
  return { c, phone, mix, reports };
}

describe('fixed room conferences', () => {
  it('without a moderator PIN callers go straight in; alone they hear hold music until a second comes', async () => {
    const { c, phone } = setup({ moderatorRequired: false, holdMusicWhenAlone: true });
    const a = phone('a');
    await c.addPhone(a.p);
    expect(c.status).toBe('running');
    expect(a.relay.mode).toBe('mix');
    expect(a.relay.musicInMix).toBe(true);
    expect(a.relay.background).toBe('hold');
    const b = phone('b');
    await c.addPhone(b.p);
    expect(a.relay.musicInMix).toBe(false);
    expect(a.relay.background).toBeUndefined();
    expect(b.relay.musicInMix).toBe(false);
    await c.removePhone('b', 'bye');
    expect(a.relay.musicInMix).toBe(true);
  });

  it('with a moderator PIN callers wait until a phone moderator comes, then *7 locks and *8 mutes all', async () => {
    const { c, phone } = setup({ moderatorRequired: true });
    const a = phone('a');
    await c.addPhone(a.p);
    expect(a.relay.mode).toBe('lobby');
    expect(c.status).toBe('waiting');
    const m = phone('m', true);
    await c.addPhone(m.p);
    expect(c.status).toBe('running');
    expect(a.relay.mode).toBe('mix');
    expect(c.moderatorIds).toEqual(['m']);

    await a.press('*7'); // not a moderator: nothing happens
    expect(c.locked).toBe(false);
    await m.press('*7');
    expect(c.locked).toBe(true);
    expect(m.relay.heard).toContain('locked');
    expect(c.admission(false)).toBe('locked');
    expect(c.admission(true)).toBeUndefined();
    await m.press('*8');
    expect(a.relay.muted).toBe(true);
    expect(m.relay.muted).toBe(false);
    expect(m.relay.heard).toContain('all-muted');
    // The muted caller is told, once: a second *8 changes nothing for them.
    expect(a.relay.heard.filter((h) => h === 'muted')).toHaveLength(1);
    await m.press('*8');
    expect(a.relay.heard.filter((h) => h === 'muted')).toHaveLength(1);
    // Muted by *8 ("quiet please"), a caller may unmute themselves with *6.
    await a.press('*6');
    expect(a.relay.muted).toBe(false);
    // Muted by a moderator in person, they may not: *6 only repeats "you are muted".
    expect(await c.setMuted('a', true, 'moderator')).toBe('done');
    await a.press('*6');
    expect(a.relay.muted).toBe(true);
    expect(a.relay.heard.at(-1)).toBe('muted');
    expect(await c.setMuted('a', false, 'self')).toBe('locked');
    expect(await c.setMuted('a', false, 'moderator')).toBe('done');
    expect(a.relay.muted).toBe(false);
    expect(a.relay.heard.at(-1)).toBe('unmuted');
    await m.press('*7');
    expect(c.locked).toBe(false);

    await c.removePhone('m', 'bye');
    expect(c.status).toBe('on_hold');
    expect(a.relay.mode).toBe('lobby');
  });

  it('start muted, capacity, and names announced into the mix on join and leave', async () => {
    const { c, phone } = setup({ moderatorRequired: false, startMuted: true, maxParticipants: 2, announceNames: true });
    const a = phone('a', false, 'anna');
    await c.addPhone(a.p);
    expect(a.relay.muted).toBe(true);
    expect(a.relay.announced).toEqual(['annahas-joined']);
    const b = phone('b', true);
    await c.addPhone(b.p);
    expect(b.relay.muted).toBe(false); // moderators are not muted at the start
    expect(c.admission(false)).toBe('full');
    await c.removePhone('a', 'bye');
    expect(a.relay.announced).toEqual(['annahas-joined', 'annahas-left']);
  });

  it('a muted caller’s name reaches the mix: the leg is opened for it and muted again after', async () => {
    const { c, phone, mix } = setup({ moderatorRequired: false, startMuted: true, announceNames: true });
    const a = phone('a', false, 'anna');
    await c.addPhone(a.p);
    expect(a.relay.muted).toBe(true);
    expect(mix.mutes).toEqual([['a', false]]); // opened for "anna has joined"
    await new Promise((r) => setImmediate(r)); // the relay says it was announced
    expect(mix.mutes).toEqual([
      ['a', false],
      ['a', true],
    ]);
  });
});

describe('the media plane away', () => {
  it('a conference that would run is reported on hold, media unavailable, everyone waiting', () => {
    expect(reportedStatus('running', false)).toBe('on_hold');
    expect(reportedStatus('running', true)).toBe('running');
    for (const s of ['idle', 'waiting', 'on_hold'] as const) {
      expect(reportedStatus(s, false)).toBe(s);
      expect(reportedStatus(s, true)).toBe(s);
    }
  });

  it('losing the callers’ mix is reported to the bridge at once, and so is its return; legs rejoin', async () => {
    const { c, phone, mix, reports } = setup({ moderatorRequired: true });
    const a = phone('a');
    const m = phone('m', true);
    await c.addPhone(a.p);
    await c.addPhone(m.p);
    await new Promise((r) => setTimeout(r, 20));
    expect(reports.at(-1)).toMatchObject({ status: 'running' });
    expect(reports.at(-1)?.media).toBeUndefined();
    expect(reports.at(-1)?.participants.every((p) => !p.waiting)).toBe(true);

    mix.available = false;
    await c.callerMixLost();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.relay.mode).toBe('lobby');
    expect(reports.at(-1)).toMatchObject({ status: 'on_hold', media: 'unavailable' });
    expect(reports.at(-1)?.participants.every((p) => p.waiting)).toBe(true);

    expect(mix.left.sort()).toEqual(['a', 'm']);

    mix.available = true;
    await c.callerMixBack();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.relay.mode).toBe('mix');
    expect(mix.joined.sort()).toEqual(['a', 'a', 'm', 'm']);
    expect(reports.at(-1)).toMatchObject({ status: 'running' });
    expect(reports.at(-1)?.media).toBeUndefined();
  });
});

describe('a caller’s trouble in the mix', () => {
  it('a failed leg joins the mix again; after MAX_REJOINS the caller hears why and is let go', async () => {
    const { c, phone, mix } = setup({ moderatorRequired: false });
    const a = phone('a');
    let hungUp = '';
    a.p.call = { state: 'confirmed', hangup: (r: string) => void (hungUp = r) } as unknown as IncomingCall;
    await c.addPhone(a.p);
    expect(mix.joined).toEqual(['a']);
    const heardBefore = a.relay.heard.length;
    await c.rejoinMix('a');
    expect(mix.left).toEqual(['a']);
    expect(mix.joined).toEqual(['a', 'a']);
    expect(a.relay.mode).toBe('mix');
    expect(a.relay.heard.length, 'no second join chime').toBe(heardBefore);
    for (let i = 1; i < MAX_REJOINS; i++) await c.rejoinMix('a');
    expect(mix.joined).toHaveLength(MAX_REJOINS + 1);
    await c.rejoinMix('a'); // one too many
    expect(mix.joined).toHaveLength(MAX_REJOINS + 1);
    expect(a.relay.heard.at(-1)).toBe('not-available');
    a.relay.emit('played');
    await new Promise((r) => setTimeout(r, 20));
    expect(c.phones.has('a')).toBe(false);
    expect(hungUp).toBe('conference not available');
  });

  it('a leg that lost its room (its media node died) hears hold music until it is back; the others stay in', async () => {
    const { c, phone, mix, reports } = setup({ moderatorRequired: false });
    const a = phone('a');
    const b = phone('b');
    await c.addPhone(a.p);
    await c.addPhone(b.p);
    const heardBefore = a.relay.heard.length;
    await c.legInterrupted('a');
    await c.legInterrupted('a'); // the agent may say it twice
    expect(a.relay.mode).toBe('lobby');
    expect(a.relay.background).toBe('hold');
    expect(a.relay.heard.at(-1)).toBe('on-hold');
    expect(b.relay.mode).toBe('mix');
    await new Promise((r) => setTimeout(r, 20));
    expect(reports.at(-1)?.status).toBe('running');
    await c.legRestored('a');
    expect(a.relay.mode).toBe('mix');
    expect(a.relay.background).toBeUndefined();
    expect(a.relay.heard.length, 'only the on-hold prompt: no second join chime').toBe(heardBefore + 1);
    expect(mix.joined, 'the same leg: the media plane rejoined it').toEqual(['a', 'b']);
    await c.legRestored('a'); // nothing more
    expect(a.relay.heard.length).toBe(heardBefore + 1);
  });

  it('a caller interrupted while the conference stops and starts again stays on hold until the leg is back', async () => {
    const { c, phone } = setup({ moderatorRequired: true });
    const m = phone('m', true);
    const a = phone('a');
    await c.addPhone(m.p);
    await c.addPhone(a.p);
    expect(a.relay.mode).toBe('mix');
    await c.legInterrupted('a');
    await c.removePhone('m', 'bye'); // the last moderator leaves…
    await c.addPhone(phone('m2', true).p); // …and another comes: the conference runs again
    expect(c.status).toBe('running');
    expect(a.relay.mode, 'still without its room').toBe('lobby');
    await c.legRestored('a');
    expect(a.relay.mode).toBe('mix');
  });

  it('a mute by the media plane (LiveKit’s room service) holds like a moderator’s, and the caller hears it', async () => {
    const { c, phone } = setup({ moderatorRequired: false });
    const a = phone('a');
    await c.addPhone(a.p);
    await c.mutedByMediaPlane('a', true);
    expect(a.relay.muted).toBe(true);
    expect(a.relay.heard.at(-1)).toBe('muted');
    expect(c.view().find((v) => v.id === 'a')?.muted).toBe(true);
    await a.press('*6'); // cannot unmute themselves
    expect(a.relay.muted).toBe(true);
    await c.mutedByMediaPlane('a', false);
    expect(a.relay.muted).toBe(false);
    expect(a.relay.heard.at(-1)).toBe('unmuted');
  });
});

describe('the bridge’s policy reaches a running conference', () => {
  it('room.updated gives a live conference the fixed room’s new settings; the music file is loaded here', async () => {
    const music = Buffer.from('jazz');
    const deps = {
      browsers: Object.assign(new EventEmitter(), { available: true }),
      mix: new FakeMix(),
      bridge: { reportConference: async () => undefined },
      prompts: { get: sound, music: (f: string) => (f === 'jazz.ul' ? music : undefined) },
      log: pino({ level: 'silent' }),
      reportDelayMs: 0,
    } as unknown as ConferenceDeps;
    const manager = new ConferenceManager(deps);
    const c = manager.get('!fixed');
    c.on('changed', () => undefined); // a page watches it, so the sweep keeps it
    expect(c.policy.startMuted).toBe(false);
    await manager.onBridgeNotification({
      type: 'room.updated',
      roomId: '!fixed',
      extension: '4711',
      policy: {
        moderatorRequired: false,
        holdMusicWhenAlone: true,
        holdMusicFile: 'jazz.ul',
        announceNames: true,
        startMuted: true,
        maxParticipants: 5,
      },
    });
    expect(c.policy).toEqual({
      moderatorRequired: false,
      holdMusicWhenAlone: true,
      holdMusic: music,
      announceNames: true,
      startMuted: true,
      maxParticipants: 5,
    });
  });
});
