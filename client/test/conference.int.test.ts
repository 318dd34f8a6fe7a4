// The conference page end to end: real Synapse, bridge, gateway, LiveKit, baresip as a phone (a
// 440 Hz tone) and headless Chromium with a fake camera and a fake microphone (the guest speaks a
// sentence from espeak-ng), so who hears whom can be measured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameLocator, Page } from 'playwright-core';
import { startTonePhone } from '../../tests/helpers/baresip.ts';
import {
  conferenceStats,
  consoleTail,
  joinThroughWidget,
  openBrowser,
  openGuestAndModerator,
  type TestBrowser,
} from '../../tests/helpers/browser.ts';
import { ConferenceClient } from '../../tests/helpers/conference.ts';
import {
  cs,
  enc,
  eventually,
  groupWithGuestAccess,
  joinedMembers,
  newUser,
  openIdToken,
  stateOf,
  timeline,
  type TestUser,
} from '../../tests/helpers/matrix.ts';
import { testStack, TEST_MAX_GUESTS } from '../../tests/helpers/stack.ts';

const { info } = testStack();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function conferenceBody(): Promise<{ joinUrl: string }> {
  const c = await stateOf<{ join_url: string | null }>(info, owner, roomId, 'org.foyer.conference');
  if (!c?.join_url) throw new Error('no join_url in org.foyer.conference');
  return { joinUrl: c.join_url };
}

let owner: TestUser;
let roomId: string;
let pin: string;
let joinUrl: string;
let guest: TestBrowser;
let moderator: TestBrowser;
let widget: FrameLocator;
let moderatorPage: Page;
const extra: { close(): Promise<void> }[] = [];
let guestId = '';

beforeAll(async () => {
  owner = await newUser(info, 'host');
  await cs(info, owner, 'PUT', `/profile/${enc(owner.userId)}/displayname`, { displayname: 'Hanna Host' });
  ({ roomId, pin } = await groupWithGuestAccess(info, owner, 'Web conference'));
  ({ joinUrl } = await conferenceBody());
  ({ guest, moderator } = await openGuestAndModerator());
}, 90_000);

afterAll(async () => {
  for (const c of extra) await c.close().catch(() => undefined);
  await guest?.close();
  await moderator?.close();
});

describe('the web conference page', () => {
  it('a guest opens the link, gives a name and waits with hold music', async () => {
    const { page } = guest;
    await page.goto(joinUrl);
    await page.locator('#guest-name').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('video').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await guest.screenshot('1-start-page');
    await page.locator('#guest-name').fill('Gerda Gast');
    await page.locator('button[data-action=join]').click();
    const waiting = page.locator('section[data-phase=waiting]');
    await waiting.waitFor({ timeout: 15_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${consoleTail(guest)}`);
    });
    await expect.poll(() => waiting.getAttribute('data-hold-music')).toBe('playing');
    await guest.screenshot('2-waiting-area');

    // The guest is in the room as a virtual user named as typed, and the room shows them waiting.
    const puppet = await eventually(
      async () => (await joinedMembers(info, owner, roomId)).find((m) => m.startsWith('@foyer_guest_')),
      'the guest’s virtual user',
    );
    guestId = /^@foyer_guest_([a-z0-9]+):/.exec(puppet)?.[1] ?? '';
    const member = await stateOf<{ displayname?: string }>(info, owner, roomId, 'm.room.member', puppet);
    expect(member?.displayname).toContain('Gerda Gast');
    await eventually(async () => {
      const c = await stateOf<{ status: string; waiting: number }>(info, owner, roomId, 'org.foyer.conference');
      return c?.status === 'waiting' && c.waiting === 1;
    }, 'status waiting with 1 waiting');
  });

  it('a moderator joins through the widget: the guest is let in and gets their audio and video', async () => {
    const openid = await openIdToken(info, owner);
    moderatorPage = moderator.page;
    widget = await joinThroughWidget(moderator, { webUrl: info.webUrl, roomId, userId: owner.userId, openid });
    // In the call, the widget asks its client to keep it on screen (m.always_on_screen).
    await expect
      .poll(() => moderatorPage.evaluate(() => (globalThis as unknown as { hostOnScreen: boolean[] }).hostOnScreen))
      .toEqual([true]);

    const conference = guest.page.locator('section[data-phase=conference]');
    await conference.waitFor({ timeout: 20_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${consoleTail(guest)}`);
    });
    // The moderator's audio and camera arrive, and keep arriving.
    const first = await eventually(
      async () => {
        const s = await conferenceStats(guest.page);
        return (s.audio?.inboundPackets ?? 0) > 20 && s.video.some((v) => v.framesDecoded > 5) ? s : undefined;
      },
      'inbound audio and video on the guest’s page',
      30_000,
    );
    await sleep(2000);
    const later = await conferenceStats(guest.page);
    expect(later.audio?.inboundPackets ?? 0).toBeGreaterThan(first.audio?.inboundPackets ?? 0);
    expect(Math.max(...later.video.map((v) => v.framesDecoded))).toBeGreaterThan(
      Math.max(...first.video.map((v) => v.framesDecoded)),
    );
    await guest.screenshot('3-conference-view');
    await eventually(async () => {
      const c = await stateOf<{ status: string }>(info, owner, roomId, 'org.foyer.conference');
      return c?.status === 'running';
    }, 'status running');
  });

  it('a phone caller and the guest hear each other', async () => {
    // The moderator mutes their own microphone, so the phone hears only the guest.
    await widget.locator('[data-action=mic]').click();
    const phone = await startTonePhone('webconf', 440);
    extra.push(phone);
    await phone.dial(`sip:4999112341660@${info.sip.host}:${info.sip.port}`);
    await phone.waitFor('CALL_ESTABLISHED', 20_000);
    await phone.press(`${pin}#`);
    // In the conference once it lists the caller as not waiting; the moderator shows muted.
    const probe = await ConferenceClient.asMember(info, owner, roomId);
    extra.push(probe);
    await probe.state((s) => s.participants.some((p) => p.kind === 'phone' && !p.waiting), 30_000);
    await probe.state((s) => s.participants.some((p) => p.kind === 'staff' && p.muted), 10_000);
    const before = await conferenceStats(guest.page);
    const speakingFrom = Date.now() + 1500; // after the join tone
    await sleep(6000);
    const speakingTo = Date.now();
    const after = await conferenceStats(guest.page);
    // The guest mutes themselves with the keyboard (M): the phone hears (almost) nothing.
    await guest.page.keyboard.press('m');
    await expect.poll(() => guest.page.locator('[data-action=mic]').getAttribute('aria-pressed')).toBe('true');
    await probe.state((s) => s.participants.some((p) => p.kind === 'guest' && p.muted), 10_000);
    const mutedFrom = Date.now() + 700;
    await sleep(3500);
    const mutedTo = Date.now();
    await phone.hangup();
    const hungUpAt = Date.now();
    await phone.waitFor('CALL_CLOSED', 10_000).catch(() => undefined);
    await guest.page.keyboard.press('M');
    await expect.poll(() => guest.page.locator('[data-action=mic]').getAttribute('aria-pressed')).toBe('false');

    const speaking = phone.heard(hungUpAt, speakingFrom, speakingTo).rms;
    const muted = phone.heard(hungUpAt, mutedFrom, mutedTo).rms;
    expect(speaking, 'the phone hears the guest speak').toBeGreaterThan(300);
    expect(speaking, 'and not once the guest muted themselves').toBeGreaterThan(4 * muted);
    expect(
      (after.audio?.inboundEnergy ?? 0) - (before.audio?.inboundEnergy ?? 0),
      'the guest hears the phone’s tone',
    ).toBeGreaterThan(0.01);
  });

  it('the guest switches microphone in the conference (devices panel, key D): their audio keeps flowing', async () => {
    const { page } = guest;
    await page.keyboard.press('d');
    const select = page.locator('#devices-panel select#device-microphone');
    await select.waitFor({ timeout: 10_000 });
    const options = await select
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value).filter((v) => v !== ''));
    expect(options.length, 'Chromium’s fake devices offer more than one microphone').toBeGreaterThan(1);
    const before = await select.inputValue();
    const other = options.find((o) => o !== before) ?? '';
    await select.selectOption(other);
    await expect.poll(() => select.inputValue()).toBe(other);
    const sent = (await conferenceStats(page)).audio?.outboundPackets ?? 0;
    await sleep(2000);
    expect(
      (await conferenceStats(page)).audio?.outboundPackets ?? 0,
      'packets from the new microphone',
    ).toBeGreaterThan(sent + 50);
    // The select has the focus now, where letters choose options: the button closes the panel.
    await page.locator('button[data-action=devices]').click();
    await expect.poll(() => page.locator('#devices-panel').count()).toBe(0);
  });

  it('chat: the guest’s message appears once in the room, a member’s message on the guest’s page', async () => {
    const { page } = guest;
    await page.locator('button[data-action=chat]').click();
    const text = `Hallo aus dem Browser ${Date.now()} <b>fett?</b>`;
    await page.locator('textarea#chat-input').fill(text);
    await page.locator('textarea#chat-input').press('Enter');
    const sent = await eventually(async () => {
      const events = (await timeline(info, owner, roomId)).filter(
        (e) => e.type === 'm.room.message' && e.content.body === text,
      );
      return events.length > 0 ? events : undefined;
    }, 'the guest’s message in the room');
    expect(sent[0]?.sender).toMatch(/^@foyer_guest_/);
    await expect.poll(() => page.locator('[data-chat-line][data-pending]').count(), { timeout: 10_000 }).toBe(0);
    await sleep(1000);
    expect(
      (await timeline(info, owner, roomId)).filter((e) => e.type === 'm.room.message' && e.content.body === text),
    ).toHaveLength(1);
    // Shown as text, not as markup.
    await expect.poll(() => page.locator('[data-chat-line]', { hasText: '<b>fett?</b>' }).count()).toBe(1);

    await cs(info, owner, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/t${Date.now()}`, {
      msgtype: 'm.text',
      body: 'Willkommen, Gerda!',
    });
    await page.locator('[data-chat-line]', { hasText: 'Willkommen, Gerda!' }).waitFor({ timeout: 15_000 });
  });

  it('a screen share shows as a second tile', async () => {
    await widget.locator('[data-action=screen]').click();
    await expect
      .poll(async () => guest.page.locator('[data-tile]:not([data-own])').count(), { timeout: 30_000 })
      .toBe(2);
    const first = await eventually(
      async () => {
        const s = await conferenceStats(guest.page);
        return s.video.filter((v) => v.framesDecoded > 0).length >= 2 ? s : undefined;
      },
      'frames from both feeds',
      30_000,
    );
    // Both keep coming: the camera does not stop for the screen.
    await eventually(
      async () => {
        const s = await conferenceStats(guest.page);
        const before = (feed: string) => first.video.find((v) => v.feed === feed)?.framesDecoded ?? Infinity;
        return s.video.filter((v) => v.framesDecoded > before(v.feed) + 10).length >= 2;
      },
      'frames from both feeds, still coming',
      15_000,
    );
    await guest.screenshot('4-screen-share');
  });

  it('the moderator removes the guest: the guest’s page says so and the virtual user leaves', async () => {
    await widget.locator('button[data-action=participants]').click();
    const row = widget.locator(`[data-participant="${guestId}"]`);
    await row.locator('[data-action=remove]').click();
    await widget.locator('[data-action=confirm-remove]').click();
    const ended = guest.page.locator('section[data-phase=ended]');
    await ended.waitFor({ timeout: 15_000 });
    expect(await ended.getAttribute('data-reason')).toBe('removed');
    await eventually(
      async () => !(await joinedMembers(info, owner, roomId)).some((m) => m.startsWith(`@foyer_guest_${guestId}:`)),
      'the guest’s virtual user left',
    );
  });

  it('with guest access off the link is refused', async () => {
    await cs(info, owner, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, { enabled: false });
    await eventually(async () => {
      const c = await stateOf<{ join_url: string | null }>(info, owner, roomId, 'org.foyer.conference');
      return c?.join_url === null;
    }, 'guest access off');
    const late = await openBrowser({ name: 'late', microphone: { toneHz: 800 } });
    extra.push(late);
    await late.page.goto(joinUrl);
    await late.page.locator('[data-phase=error][data-error=link_revoked]').waitFor({ timeout: 15_000 });
  });

  it('beyond the licence cap the next guest is told so, with the phone route', async () => {
    await cs(info, owner, 'PUT', `/rooms/${enc(roomId)}/state/org.foyer.guest_access/`, { enabled: true });
    const { joinUrl: link } = await eventually(async () => conferenceBody().catch(() => undefined), 'a new link');
    const token = link.slice(link.lastIndexOf('/') + 1);
    for (let i = 0; i < TEST_MAX_GUESTS; i++) {
      const c = await ConferenceClient.open(info);
      extra.push(c);
      c.send({ type: 'hello', auth: { kind: 'guest', token, name: `Filler ${i}` } });
      await c.next((m) => m.type === 'welcome');
      c.send({ type: 'join' });
      await c.state((s) => s.joined);
    }
    const over = await openBrowser({ name: 'over-cap', microphone: { toneHz: 900 } });
    extra.push(over);
    await over.page.goto(link);
    await over.page.locator('#guest-name').fill('Zu Viel');
    await over.page.locator('button[data-action=join]').click();
    const refusal = over.page.locator('[data-phase=error][data-error=licence_cap]');
    await refusal.waitFor({ timeout: 15_000 });
    const newPin = (await stateOf<{ dial_in: { pin: string } }>(info, owner, roomId, 'org.foyer.conference'))?.dial_in
      .pin;
    expect(await refusal.textContent()).toContain(newPin);
  });
});
