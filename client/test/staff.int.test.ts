// The staff client end to end: two staff users in headless Chromium against the real stack
// (Synapse, bridge, gateway). They sign in through the page, chat, keep drafts, create and set up
// a group, and join a conference from the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { consoleTail, openBrowser, type TestBrowser } from '../../tests/helpers/browser.ts';
import { cs, enc, eventually, groupWithGuestAccess, login, stateOf, timeline } from '../../tests/helpers/matrix.ts';
import { ConferenceClient } from '../../tests/helpers/conference.ts';
import { ANSWERED, CALLER_BYE, INVITE, rfc4733Keys, runSipp, scenario } from '../../tests/helpers/sipp.ts';
import { newUserWithPassword, type StaffUser } from '../../tests/helpers/staff.ts';
import { TEST_BOT_LOCALPART, testStack } from '../../tests/helpers/stack.ts';
import { botUserIdOf } from '@foyer/common/matrix-ids';

const { info } = testStack();

let a: StaffUser;
let b: StaffUser;
let browserA: TestBrowser;
let browserB: TestBrowser;
let direct: string;
let olderGroup: string;
/** B's unread total before A writes (the group's greeting). */
let baseTotal = 0;

const item = (page: Page, roomId: string) => page.locator(`li[data-room="${roomId}"]`);
const unreadOf = async (page: Page, roomId: string) => Number(await item(page, roomId).getAttribute('data-unread'));
const totalOf = async (page: Page) =>
  Number(await page.locator('[data-total-unread]').getAttribute('data-total-unread'));
const firstRoom = (page: Page) => page.locator('li[data-room]').first().getAttribute('data-room');

async function signIn(page: Page, user: StaffUser): Promise<void> {
  await page.goto(info.webUrl);
  await page.locator('#sign-in-user').fill(user.localpart);
  await page.locator('#sign-in-password').fill(user.password);
  await page.locator('button[data-action=sign-in]').click();
  await page.locator('[data-total-unread]').waitFor({ timeout: 20_000 });
}

/** The homeserver's notification count of a room for a user (what any client would show). */
async function serverUnread(user: StaffUser, roomId: string): Promise<number> {
  const filter = JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1 } }, presence: { types: [] } });
  const sync = await cs<{
    rooms?: { join?: Record<string, { unread_notifications?: { notification_count?: number } }> };
  }>(info, user, 'GET', `/sync?timeout=0&filter=${enc(filter)}`);
  return sync.rooms?.join?.[roomId]?.unread_notifications?.notification_count ?? 0;
}

async function draftOnServer(user: StaffUser, roomId: string): Promise<string | undefined> {
  const r = await fetch(
    `${info.homeserverUrl}/_matrix/client/v3/user/${enc(user.userId)}/rooms/${enc(roomId)}/account_data/org.foyer.draft`,
    { headers: { authorization: `Bearer ${user.accessToken}` } },
  );
  if (!r.ok) return undefined;
  return ((await r.json()) as { body?: string }).body;
}

beforeAll(async () => {
  a = await newUserWithPassword(info, 'anna');
  b = await newUserWithPassword(info, 'bernd');
  await cs(info, a, 'PUT', `/profile/${enc(a.userId)}/displayname`, { displayname: 'Anna Adler' });
  await cs(info, b, 'PUT', `/profile/${enc(b.userId)}/displayname`, { displayname: 'Bernd Berg' });
  // A direct chat (m.direct on both sides, as Element sets it up), then a group that is newer.
  ({ room_id: direct } = await cs<{ room_id: string }>(info, a, 'POST', '/createRoom', {
    preset: 'trusted_private_chat',
    is_direct: true,
    invite: [b.userId],
  }));
  await cs(info, b, 'POST', `/rooms/${enc(direct)}/join`, {});
  await cs(info, a, 'PUT', `/user/${enc(a.userId)}/account_data/m.direct`, { [b.userId]: [direct] });
  await cs(info, b, 'PUT', `/user/${enc(b.userId)}/account_data/m.direct`, { [a.userId]: [direct] });
  ({ room_id: olderGroup } = await cs<{ room_id: string }>(info, a, 'POST', '/createRoom', {
    name: 'Vertrieb',
    preset: 'private_chat',
    invite: [b.userId, info.botUserId],
    power_level_content_override: { users: { [info.botUserId]: 100 } },
  }));
  await cs(info, b, 'POST', `/rooms/${enc(olderGroup)}/join`, {});
  await cs(info, a, 'PUT', `/rooms/${enc(olderGroup)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'Hallo' });
  browserA = await openBrowser({ name: 'staff-a', microphone: { toneHz: 500 } });
  browserB = await openBrowser({ name: 'staff-b', microphone: { toneHz: 700 } });
  await browserA.context.grantPermissions(['clipboard-read', 'clipboard-write', 'camera', 'microphone'], {
    origin: info.webUrl,
  });
}, 120_000);

afterAll(async () => {
  await browserA?.close();
  await browserB?.close();
});

describe('the staff client', () => {
  it('runs with a bot not called foyer, whose ID the web server gives the client', async () => {
    expect(info.botUserId).toBe(botUserIdOf(TEST_BOT_LOCALPART, info.serverName));
    const site = (await (await fetch(`${info.webUrl}/config.json`)).json()) as { botUserId?: string };
    expect(site.botUserId).toBe(info.botUserId);
  });

  it('says clearly when the password is wrong', async () => {
    const { page } = browserA;
    await page.goto(info.webUrl);
    await page.locator('#sign-in-user').fill(a.localpart);
    await page.locator('#sign-in-password').fill('not the password');
    await page.locator('button[data-action=sign-in]').click();
    await expect.poll(() => page.locator('[data-sign-in-error]').textContent()).toMatch(/wrong/i);
  });

  it('signs both in; the lists show the direct chat and the group, only those', async () => {
    await signIn(browserA.page, a);
    await signIn(browserB.page, b);
    for (const { page } of [browserA, browserB]) {
      await item(page, direct).waitFor({ timeout: 20_000 });
      await item(page, olderGroup).waitFor();
      expect(await item(page, direct).getAttribute('data-kind')).toBe('direct');
      expect(await item(page, olderGroup).getAttribute('data-kind')).toBe('group');
    }
    await expect
      .poll(() => item(browserB.page, direct).locator('[data-contact-name]').textContent())
      .toBe('Anna Adler');
    await expect.poll(() => firstRoom(browserB.page)).toBe(olderGroup);
    // A's greeting in the group is unread for B, and counted on B's picture. The count is the
    // homeserver's: Synapse sometimes still counts B's own invitation after B joined at once
    // (measured: 1 run in 7), so the page must show exactly what the server says, and the room
    // holds no other message.
    const messages = (await timeline(info, b, olderGroup)).filter((e) => e.type === 'm.room.message');
    expect(messages.map((e) => e.content.body)).toEqual(['Hallo']);
    await expect.poll(() => unreadOf(browserB.page, olderGroup), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect
      .poll(async () => (await unreadOf(browserB.page, olderGroup)) === (await serverUnread(b, olderGroup)), {
        timeout: 15_000,
      })
      .toBe(true);
    baseTotal = await unreadOf(browserB.page, olderGroup);
    await expect.poll(() => totalOf(browserB.page)).toBe(baseTotal);
  });

  it('A writes to B: B sees the unread count and the total, and the chat moves up', async () => {
    const { page } = browserA;
    await item(page, direct).locator('button').click();
    await page.locator('textarea#message-input').fill('Hallo Bernd');
    await page.locator('textarea#message-input').press('Shift+Enter');
    await page.locator('textarea#message-input').pressSequentially('zweite Zeile');
    await page.locator('textarea#message-input').press('Enter');
    await expect.poll(() => page.locator('textarea#message-input').inputValue()).toBe('');
    const sent = await eventually(
      async () => (await timeline(info, a, direct, 10)).find((e) => e.type === 'm.room.message'),
      'the message on the server',
    );
    expect(sent.content.body).toBe('Hallo Bernd\nzweite Zeile');

    await expect.poll(() => unreadOf(browserB.page, direct), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => totalOf(browserB.page)).toBe(baseTotal + 1);
    await expect.poll(() => firstRoom(browserB.page)).toBe(direct);
    await browserB.screenshot('staff-1-unread');
  });

  it('B opens the chat and the counts clear', async () => {
    const { page } = browserB;
    await item(page, direct).locator('button').click();
    await page.locator('[data-message]').filter({ hasText: 'zweite Zeile' }).waitFor();
    await expect.poll(() => unreadOf(page, direct), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => totalOf(page)).toBe(baseTotal);
  });

  it('A’s draft survives closing the chat and a reload', async () => {
    const { page } = browserA;
    await page.locator('textarea#message-input').fill('Ein Entwurf');
    await page.locator('button[data-action=close-chat]').click();
    await eventually(async () => (await draftOnServer(a, direct)) === 'Ein Entwurf', 'the draft in account data');
    await page.reload();
    await item(page, direct).locator('button').click({ timeout: 20_000 });
    await expect.poll(() => page.locator('textarea#message-input').inputValue()).toBe('Ein Entwurf');
    // Sending clears it.
    await page.locator('textarea#message-input').press('Enter');
    await eventually(async () => (await draftOnServer(a, direct)) === '', 'the draft cleared');
  });

  it('A starts chats: with B the existing one opens; with C a new direct chat, C invited as one', async () => {
    const { page } = browserA;
    const c = await newUserWithPassword(info, 'carla');
    await cs(info, c, 'PUT', `/profile/${enc(c.userId)}/displayname`, { displayname: 'Carla Clausen' });
    const directOf = async () =>
      cs<Record<string, string[]>>(info, a, 'GET', `/user/${enc(a.userId)}/account_data/m.direct`);

    // Escape closes the dialog; nothing is created.
    await page.locator('button[data-action=new-chat]').click();
    await page.locator('[data-dialog=new-chat] #user-search').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-dialog=new-chat]').count()).toBe(0);

    await page.locator('button[data-action=new-chat]').click();
    await page.locator('#user-search').fill(b.userId);
    await page.locator(`[data-pick-user="${b.userId}"]`).click({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-room-name]').textContent()).toBe('Bernd Berg');
    expect((await directOf())[b.userId]).toEqual([direct]);

    await page.locator('button[data-action=new-chat]').click();
    await page.locator('#user-search').fill(c.userId);
    await page.locator(`[data-pick-user="${c.userId}"]`).click({ timeout: 15_000 });
    const dm = await eventually(async () => (await directOf())[c.userId]?.[0], 'the new chat in m.direct');
    const invite = await stateOf<{ membership: string; is_direct?: boolean }>(info, a, dm, 'm.room.member', c.userId);
    expect(invite).toMatchObject({ membership: 'invite', is_direct: true });
    await expect.poll(() => item(page, dm).getAttribute('data-kind'), { timeout: 15_000 }).toBe('direct');
    await expect.poll(() => page.locator('[data-room-name]').textContent()).toBe('Carla Clausen');
    await page.locator('button[data-action=close-chat]').click();
  });

  let group = '';

  it('A creates a group with B, renames it, turns guests on and copies the details', async () => {
    const { page } = browserA;
    await page.locator('button[data-action=new-group]').click();
    await page.locator('#group-name').fill('Projekt Foyer');
    await page.locator('#user-search').fill(b.localpart);
    await page.locator(`[data-pick-user="${b.userId}"]`).click({ timeout: 15_000 });
    await page.locator('button[data-action=create-group]').click();
    group = await eventually(async () => {
      const rooms = await cs<{ joined_rooms: string[] }>(info, a, 'GET', '/joined_rooms');
      for (const id of rooms.joined_rooms) {
        const name = await stateOf<{ name: string }>(info, a, id, 'm.room.name');
        if (name?.name === 'Projekt Foyer') return id;
      }
      return undefined;
    }, 'the new group');
    const power = await stateOf<{ users: Record<string, number> }>(info, a, group, 'm.room.power_levels');
    expect(power?.users[info.botUserId]).toBe(100);
    // B accepts the invitation in B's own client.
    const invitation = browserB.page.locator(`[data-invitation="${group}"]`);
    await invitation.locator('button[data-action=accept-invitation]').click({ timeout: 20_000 });
    await item(browserB.page, group).waitFor({ timeout: 20_000 });
    await expect.poll(() => invitation.count()).toBe(0);
    await item(page, group).waitFor({ timeout: 20_000 });
    await item(page, group).locator('button').click();

    await page.locator('button[data-action=group-settings]').click();
    await expect.poll(() => page.locator('[data-member-count]').getAttribute('data-member-count')).toBe('2');
    await page.locator('#group-rename').fill('Projekt Foyer 2');
    await page.locator('button[data-action=rename]').click();
    await eventually(
      async () => (await stateOf<{ name: string }>(info, a, group, 'm.room.name'))?.name === 'Projekt Foyer 2',
      'the new name',
    );
    await expect
      .poll(() => page.locator('[data-room-name]').textContent())
      .toBe('Projekt Foyer 2')
      .catch(async (err: Error) => {
        // Seen in CI before Synapse sent state_after (MSC4222): the homeserver had the new name and
        // the header did not (tests/synapse.int.test.ts reproduces the cause).
        const panel = await page.locator('aside[data-panel=group-settings]').innerText();
        throw new Error(`${err.message}\nsettings panel:\n${panel}\nconsole:\n${consoleTail(browserA)}`);
      });

    await page.locator('input[data-action=allow-guests]').check();
    const pin = await page.locator('[data-pin]').textContent({ timeout: 20_000 });
    const joinUrl = await page.locator('[data-join-url]').textContent();
    expect(pin).toMatch(/^\d{10,}$/);
    await page.locator('button[data-action=copy-all]').click();
    const copied = await page.evaluate(() =>
      // Runs in the page, where globalThis is the window.
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    expect(copied).toContain(pin);
    expect(copied).toContain(joinUrl);
    expect(copied).toContain(info.dialInNumber);

    // The moderator PIN: switched on, then fetched from the gateway (it is not in room state).
    await page.locator('input[data-action=moderator-pin]').check();
    await page.locator('button[data-action=show-moderator-pin]').click({ timeout: 20_000 });
    const moderatorPin = await page.locator('[data-moderator-pin]').textContent({ timeout: 20_000 });
    expect(moderatorPin).toMatch(/^\d{10,}$/);
    expect(moderatorPin).not.toBe(pin);
    expect(copied).not.toContain(moderatorPin);
    await browserA.screenshot('staff-2-group-settings');
  });

  it('A mutes the group: A has the push rule, B does not', async () => {
    const { page } = browserA;
    await page.locator('input[data-action=mute]').check();
    const rule = await eventually(
      () => cs<{ actions: unknown[] }>(info, a, 'GET', `/pushrules/global/room/${enc(group)}`),
      'A’s room push rule',
    );
    expect(rule.actions).toEqual([]);
    await expect(cs(info, b, 'GET', `/pushrules/global/room/${enc(group)}`)).rejects.toThrow(/404/);
  });

  it('B leaves, then A leaves in the client: the room is deleted on the server', async () => {
    const admin = await login(info, 'admin', info.accounts.admin.password);
    const roomOnServer = async () =>
      (
        await fetch(`${info.homeserverUrl}/_synapse/admin/v1/rooms/${enc(group)}`, {
          headers: { authorization: `Bearer ${admin.accessToken}` },
        })
      ).status;
    await cs(info, b, 'POST', `/rooms/${enc(group)}/leave`, {});
    const { page } = browserA;
    await page.locator('button[data-action=leave-group]').click();
    await page.locator('button[data-action=confirm-leave]').click();
    await expect.poll(() => item(page, group).count(), { timeout: 15_000 }).toBe(0);
    await eventually(async () => (await roomOnServer()) === 404, 'the room to be deleted', 30_000);
  });

  it('a waiting caller makes the group green; A joins its conference from the client and the caller is let in', async () => {
    const { roomId, pin } = await groupWithGuestAccess(info, a, 'Konferenzraum');
    const { page } = browserA;
    // A caller dials in with the group's PIN and waits (no moderator yet).
    const caller = runSipp(
      scenario(
        `${INVITE('+4930777000111')}\n${ANSWERED}\n  <pause milliseconds="500"/>\n${rfc4733Keys(`${pin}#`)}\n  <pause milliseconds="25000"/>\n${CALLER_BYE}`,
      ),
      { host: info.sip.host, port: info.sip.port },
      { timeoutS: 60 },
    );
    const probe = await ConferenceClient.asMember(info, a, roomId);
    try {
      await probe.state((s) => s.participants.some((p) => p.kind === 'phone' && p.waiting), 30_000);
      await expect.poll(() => item(page, roomId).getAttribute('data-conference'), { timeout: 15_000 }).toBe('waiting');

      await item(page, roomId).locator('button').click({ timeout: 20_000 });
      await page.locator('button[data-action=join-conference]').click();
      const call = page.locator('section[data-call-room]');
      await call.locator('button[data-action=join]').click({ timeout: 20_000 });
      await call.locator('section[data-phase=conference]').waitFor({ timeout: 20_000 });
      // The caller leaves the hold music for the mix.
      await probe.state(
        (s) => s.status === 'running' && s.participants.some((p) => p.kind === 'phone' && !p.waiting),
        20_000,
      );
      await eventually(
        async () => (await stateOf<{ status: string }>(info, a, roomId, 'org.foyer.conference'))?.status === 'running',
        'the conference running',
      );
      await expect.poll(() => item(page, roomId).getAttribute('data-conference')).toBe('running');
      await browserA.screenshot('staff-3-conference');
      await page.locator('button[data-action=leave-conference]').click();
      await expect.poll(() => call.count()).toBe(0);
      await probe.state((s) => s.status === 'on_hold', 15_000);
    } finally {
      await probe.close();
    }
    const r = await caller;
    expect(r.code, r.output + r.errors).toBe(0);
  });
});
