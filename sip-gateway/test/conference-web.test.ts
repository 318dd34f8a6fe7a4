// The conference's rules for browsers, with small fakes for Janus and the bridge: who is
// admitted when, what happens when the last moderator leaves, feeds ending for watchers, chat
// echo matching and guest removal on revocation.
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConferenceReport } from '@foyer/common';
import type { FeedView, ServerMessage } from '@foyer/common/conference-protocol';
import { Conference, type ConferenceDeps } from '../src/conference/conference.ts';
import { ConferenceManager } from '../src/conference/manager.ts';
import type { WebParticipant } from '../src/conference/participants.ts';
import type { WebMedia } from '../src/janus/web-media.ts';

class FakeMedia extends EventEmitter {
  readonly plane = 'janus';
  published: FeedView[] = [];
  stops: boolean[] = [];
  ended: string[] = [];
  muted: boolean[] = [];
  feeds(): FeedView[] {
    return this.published;
  }
  async stop(final: boolean): Promise<string[]> {
    this.stops.push(final);
    const feeds = this.published.map((f) => f.id);
    this.published = [];
    return feeds;
  }
  async feedEnded(feed: string): Promise<void> {
    this.ended.push(feed);
  }
  async setMuted(m: boolean): Promise<void> {
    this.muted.push(m);
  }
  forget(): void {}
}

function setup() {
  const reports: ConferenceReport[] = [];
  const browsers = { available: true, plane: 'janus' };
  const deps = {
    rooms: {},
    browsers,
    bridge: { reportConference: async (_: string, r: ConferenceReport) => void reports.push(r) },
    prompts: {},
    log: pino({ level: 'silent' }),
    mix: Object.assign(new EventEmitter(), { available: true, identity: () => undefined }),
    reportDelayMs: 0,
  } as unknown as ConferenceDeps;
  const conference = new Conference('!room', deps);
  const web = (id: string, kind: WebParticipant['kind'], moderator = kind === 'staff') => {
    const sent: ServerMessage[] = [];
    const media = new FakeMedia();
    const w: WebParticipant = {
      id,
      kind,
      name: `name ${id}`,
      ...(kind === 'guest' ? {} : { userId: `@${id}:example.org` }),
      moderator,
      muted: false,
      talking: false,
      media: media as unknown as WebMedia,
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

    guest.media.published = [{ id: '77', source: 'camera' }];
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

  it('a feed that ends is dropped by everyone watching it', async () => {
    const { conference: c, web } = setup();
    const mod = web('m1', 'staff');
    const a = web('a1', 'guest');
    const b = web('b1', 'guest');
    for (const p of [mod, a, b]) await c.addWeb(p.w);
    a.media.published = [{ id: '11', source: 'camera' }];
    expect(c.feedOwner('11')).toBe(a.w);
    await c.removeWeb('a1', 'removed');
    expect(a.sent.at(-1)).toEqual({ type: 'removed', reason: 'removed' });
    expect(b.media.ended).toEqual(['11']);
    expect(mod.media.ended).toEqual(['11']);
    expect(c.feedOwner('11')).toBeUndefined();
  });

  it('without Janus nobody is admitted', async () => {
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

  it('muting a browser reaches its Janus leg and shows in the view', async () => {
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
    const browsers = Object.assign(new EventEmitter(), { available: true, plane: 'janus' });
    const manager = new ConferenceManager({
      rooms: {},
      browsers,
      bridge: { reportConference: async () => undefined },
      prompts: {},
      log: pino({ level: 'silent' }),
      mix: Object.assign(new EventEmitter(), { available: true, identity: () => undefined }),
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
