// The conference's rules for browsers, with small fakes for their LiveKit media and the bridge:
// who is admitted when, what happens when the last moderator leaves, mutes, chat echo matching
// and guest removal on revocation.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConferenceReport } from '@foyer/common';
import type { ServerMessage } from '@foyer/common/conference-protocol';
import type { BrowserMedia } from '../src/conference/browser-media.ts';
import { Conference, type ConferenceDeps } from '../src/conference/conference.ts';
import { ConferenceManager } from '../src/conference/manager.ts';
import type { WebParticipant } from '../src/conference/participants.ts';

class FakeMedia implements BrowserMedia {
  readonly identity: string;
  stops: boolean[] = [];
  muted: boolean[] = [];
  constructor(id: string) {
    this.identity = `@${id}:example.org:FOYER_WEB_${id}`;
  }
  async token() {
    return { url: 'wss://livekit.example.org', token: 't' };
  }
  async stop(final: boolean): Promise<void> {
    this.stops.push(final);
  }
  async setMuted(m: boolean): Promise<void> {
    this.muted.push(m);
  }
  forget(): void {}
}

const mix = () => Object.assign(new EventEmitter(), { available: true, identity: (id: string) => `phone ${id}` });

function setup() {
  const reports: ConferenceReport[] = [];
  const browsers = { available: true };
  const deps = {
    browsers,
    bridge: { reportConference: async (_: string, r: ConferenceReport) => void reports.push(r) },
    prompts: {},
    log: pino({ level: 'silent' }),
    mix: mix(),
    reportDelayMs: 0,
  } as unknown as ConferenceDeps;
  const conference = new Conference('!room', deps);
  const web = (id: string, kind: WebParticipant['kind'], moderator = kind === 'staff') => {
    const sent: ServerMessage[] = [];
    const media = new FakeMedia(id);
    const w: WebParticipant = {
      id,
      kind,
      name: `name ${id}`,
      ...(kind === 'guest' ? {} : { userId: `@${id}:example.org` }),
      moderator,
      muted: false,
      media,
      send: (m) => void sent.push(m),
      pendingChat: [],
      joinedAt: Date.now(),
    };
    return { w, sent, media };
  };
  return { conference, reports, browsers, web };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('conference with browsers', () => {
  it('guests wait until a moderator is here, and go back to waiting when the last one leaves', async () => {
    const { conference: c, reports, web } = setup();
    const guest = web('g1', 'guest');
    await c.addWeb(guest.w);
    expect(c.status).toBe('waiting');
    expect(c.admitted(guest.w)).toBe(false);
    await tick();
    expect(reports.at(-1)).toEqual({
      seq: expect.any(Number),
      status: 'waiting',
      participants: [{ id: 'g1', kind: 'guest', name: 'name g1', waiting: true }],
    });

    const mod = web('m1', 'staff');
    await c.addWeb(mod.w);
    expect(c.status).toBe('running');
    expect(c.admitted(guest.w)).toBe(true);
    expect(c.moderatorIds).toEqual(['@m1:example.org']);

    await c.removeWeb('m1', 'left');
    expect(c.status).toBe('on_hold');
    expect(c.admitted(guest.w)).toBe(false);
    expect(guest.media.stops).toEqual([false]); // media closed, the guest stays
    expect(mod.media.stops).toEqual([true]);
    expect(mod.sent.some((m) => m.type === 'removed')).toBe(false); // leaving is not removal
    expect(c.webs.has('g1')).toBe(true);
  });

  it('a federated member is a participant: they wait like guests', async () => {
    const { conference: c, web } = setup();
    const partner = web('f1', 'federated');
    await c.addWeb(partner.w);
    expect(c.admitted(partner.w)).toBe(false);
    expect(c.status).toBe('waiting');
    expect(c.snapshot().participants).toEqual([]); // members are real Matrix users, not virtual ones
  });

  it('a removed browser is told so and leaves the room for good; the others stay', async () => {
    const { conference: c, web } = setup();
    const mod = web('m1', 'staff');
    const a = web('a1', 'guest');
    for (const p of [mod, a]) await c.addWeb(p.w);
    await c.removeWeb('a1', 'removed');
    expect(a.sent.at(-1)).toEqual({ type: 'removed', reason: 'removed' });
    expect(a.media.stops).toEqual([true]);
    expect(mod.media.stops).toEqual([]);
    expect([...c.webs.keys()]).toEqual(['m1']);
  });

  it('the view names each participant’s LiveKit identity; pages see who speaks from LiveKit', async () => {
    const { conference: c, web } = setup();
    const guest = web('g1', 'guest');
    await c.addWeb(guest.w);
    expect(c.view()).toEqual([expect.objectContaining({ id: 'g1', media: guest.media.identity, level: 0 })]);
  });

  it('without LiveKit nobody is admitted', async () => {
    const { conference: c, browsers, web } = setup();
    const mod = web('m1', 'staff');
    await c.addWeb(mod.w);
    expect(c.admitted(mod.w)).toBe(true);
    browsers.available = false;
    expect(c.admitted(mod.w)).toBe(false);
  });

  it('revoking guest access removes guests, members stay', async () => {
    const { conference: c, web } = setup();
    const mod = web('m1', 'staff');
    const guest = web('g1', 'guest');
    await c.addWeb(mod.w);
    await c.addWeb(guest.w);
    await c.endGuests('guest access revoked');
    expect(guest.sent.at(-1)).toEqual({ type: 'removed', reason: 'revoked' });
    expect([...c.webs.keys()]).toEqual(['m1']);
  });

  it('muting a browser reaches its LiveKit media and shows in the view', async () => {
    const { conference: c, web } = setup();
    const guest = web('g1', 'guest');
    await c.addWeb(guest.w);
    expect(await c.setMuted('g1', true, 'moderator')).toBe('done');
    expect(guest.media.muted).toEqual([true]);
    expect(c.view().find((p) => p.id === 'g1')?.muted).toBe(true);
    expect(await c.setMuted('nobody', true, 'moderator')).toBe('missing');
  });

  it('a guest muted by a moderator cannot unmute itself; one that muted itself can', async () => {
    const { conference: c, web } = setup();
    const guest = web('g1', 'guest');
    await c.addWeb(guest.w);
    expect(await c.setMuted('g1', true, 'moderator')).toBe('done');
    expect(await c.setMuted('g1', false, 'self')).toBe('locked');
    expect(guest.media.muted).toEqual([true]);
    expect(await c.setMuted('g1', false, 'moderator')).toBe('done');
    expect(await c.setMuted('g1', true, 'self')).toBe('done');
    expect(await c.setMuted('g1', false, 'self')).toBe('done');
    expect(guest.media.muted).toEqual([true, false, true, false]);
  });

  it('a guest’s own chat message comes back with its txnId; others see it without', async () => {
    const { conference: c, web } = setup();
    const a = web('a1', 'guest');
    const b = web('b1', 'guest');
    await c.addWeb(a.w);
    await c.addWeb(b.w);
    a.w.pendingChat.push({ txnId: 't1', body: 'hello' });
    c.deliverChat({
      eventId: '$e1',
      sender: '@foyer_guest_a1:example.org',
      senderName: 'name a1',
      senderKind: 'guest',
      msgtype: 'm.text',
      body: 'hello',
      ts: 1,
    });
    expect(a.sent.at(-1)).toMatchObject({ type: 'chat', message: { id: '$e1', txnId: 't1' } });
    expect(b.sent.at(-1)).toMatchObject({ type: 'chat', message: { id: '$e1' } });
    expect((b.sent.at(-1) as { message: { txnId?: string } }).message.txnId).toBeUndefined();
    expect(a.w.pendingChat).toEqual([]);
  });

  it('an empty conference that a page watches is kept, so the page joins the live one', () => {
    const browsers = Object.assign(new EventEmitter(), { available: true });
    const manager = new ConferenceManager({
      browsers,
      bridge: { reportConference: async () => undefined },
      prompts: {},
      log: pino({ level: 'silent' }),
      mix: mix(),
    } as unknown as ConferenceDeps);
    const c = manager.get('!room');
    const watch = () => undefined;
    c.on('changed', watch);
    manager.sweep('!room');
    expect(manager.find('!room')).toBe(c);
    c.off('changed', watch);
    manager.sweep('!room');
    expect(manager.find('!room')).toBeUndefined();
  });
});
