import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@foyer/common';
import { CoalescingStateWriter, conferenceContent, type ConferenceContent } from '../src/groups/conference-state.ts';
import { guestAccessContentSchema, hashToken, newLinkToken, newPin, unknownKeys } from '../src/groups/guest-access.ts';
import { Identities } from '../src/groups/identity.ts';
import { desiredPowerLevels, levelOf, neededLevel } from '../src/groups/power.ts';
import { maskNumber } from '@foyer/common';
import { cleanName, guestDisplayName, phoneDisplayName } from '../src/groups/puppets.ts';
import type { Group } from '../src/store/store.ts';

const BOT = '@foyer:example.org';

describe('PINs and links', () => {
  it('PINs have the configured length, never a leading zero, and vary', () => {
    const pins = Array.from({ length: 2000 }, () => newPin(10));
    for (const p of pins) expect(p).toMatch(/^[1-9][0-9]{9}$/);
    expect(new Set(pins).size).toBeGreaterThan(1990);
    // Every digit appears in every position but the first: no obvious bias.
    for (let pos = 1; pos < 10; pos++) expect(new Set(pins.map((p) => p[pos])).size).toBe(10);
  });

  it('link tokens carry at least 128 random bits and are looked up by hash', () => {
    const t = newLinkToken();
    expect(Buffer.from(t, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(newLinkToken()).not.toBe(t);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t);
  });

  it('guest-access requests: enabled must be a boolean; extra fields are reported, not fatal', () => {
    expect(guestAccessContentSchema.safeParse({ enabled: true }).success).toBe(true);
    expect(guestAccessContentSchema.safeParse({ enabled: 'true' }).success).toBe(false);
    expect(guestAccessContentSchema.safeParse({}).success).toBe(false);
    expect(guestAccessContentSchema.safeParse({ enabled: false, regenerate: 1 }).success).toBe(false);
    expect(unknownKeys({ enabled: true, colour: 'red' })).toEqual(['colour']);
  });
});

describe('virtual users', () => {
  const ids = new Identities(BOT, 'example.org');

  it('classifies Matrix IDs', () => {
    expect(ids.kindOf(BOT)).toBe('bot');
    expect(ids.kindOf('@foyer_guest_ab12:example.org')).toBe('guest');
    expect(ids.kindOf('@foyer_phone_ab12:example.org')).toBe('phone');
    expect(ids.kindOf('@foyer_guest_ab12:partner.example')).toBe('federated'); // not ours
    expect(ids.kindOf('@anna:example.org')).toBe('staff');
    expect(ids.isHuman('@anna:partner.example')).toBe(true);
    expect(ids.participantOf('@foyer_phone_x7y8:example.org')).toBe('x7y8');
    expect(ids.virtualUserId('guest', 'ab12')).toBe('@foyer_guest_ab12:example.org');
  });

  it('masks callers’ numbers by default', () => {
    expect(maskNumber('+499911234166')).toBe('+49 991 •••• 166');
    expect(maskNumber('+1 212 555 0123')).toBe('+1 212 •••• 123');
    expect(maskNumber('09911234166')).toBe('0991 •••• 166');
    expect(maskNumber('12345')).toBe('•••45');
    expect(phoneDisplayName('+499911234166', true)).toBe('+49 991 •••• 166 (Telefon)');
    expect(phoneDisplayName('+499911234166', false)).toBe('+499911234166 (Telefon)');
    expect(phoneDisplayName(null, true)).toBe('Unbekannt (Telefon)');
    expect(phoneDisplayName('anonymous', true)).toBe('Unbekannt (Telefon)');
  });

  it('cleans names people type', () => {
    expect(guestDisplayName('  Anna \u202e Lena\u0007 ')).toBe('Anna Lena (Gast)');
    expect(guestDisplayName('\u200b')).toBe('Gast (Gast)');
    expect([...cleanName('ä'.repeat(500))]).toHaveLength(64);
  });
});

describe('power levels', () => {
  it('computes what the bot needs and may change', () => {
    const pl = { users: { [BOT]: 100 }, users_default: 0, state_default: 50, events: { 'm.room.power_levels': 100 } };
    expect(levelOf(pl, BOT)).toBe(100);
    expect(neededLevel(pl)).toBe(50);
    const wanted = desiredPowerLevels(pl, BOT);
    expect(wanted?.events).toMatchObject({
      'org.foyer.guest_access': 0,
      'org.matrix.msc3401.call.member': 0,
      'org.foyer.conference': 100,
    });
    expect(desiredPowerLevels(wanted ?? {}, BOT)).toBeUndefined(); // nothing left to change
  });

  it('changes nothing it may not change', () => {
    const pl = { users: { [BOT]: 50 }, state_default: 50, events: { 'm.room.power_levels': 100 } };
    expect(desiredPowerLevels(pl, BOT)).toBeUndefined();
    const moderator = {
      users: { [BOT]: 50 },
      state_default: 50,
      events: { 'm.room.power_levels': 50, 'org.foyer.guest_access': 75 },
    };
    // The bot cannot lower a level above its own (it still opens call memberships to members).
    expect(desiredPowerLevels(moderator, BOT)?.events).toMatchObject({
      'org.foyer.guest_access': 75,
      'org.matrix.msc3401.call.member': 0,
    });
  });
});

describe('org.foyer.conference', () => {
  const group: Group = {
    roomId: '!r',
    name: 'Support',
    guestAccess: true,
    pin: '1234567890',
    moderatorPin: null,
    linkToken: 'tok'.repeat(8),
    conferenceStatus: 'waiting',
    powerNoticeSent: false,
    encrypted: false,
  };
  const o = { dialInNumber: '+49 991 1234 166', webUrl: 'https://foyer.example' };

  it('carries number, PIN and join_url while guest access is on', () => {
    const p = { kind: 'guest' as const, displayName: 'A (Gast)', removed: false };
    const c = conferenceContent(
      group,
      [
        { ...p, participantId: 'a', waiting: true },
        { ...p, participantId: 'b', waiting: false },
      ],
      o,
    );
    expect(c).toEqual({
      guest_access: true,
      dial_in: { number: '+49 991 1234 166', pin: '1234567890' },
      join_url: `https://foyer.example/join/${'tok'.repeat(8)}`,
      status: 'waiting',
      waiting: 1,
    });
    expect(conferenceContent({ ...group, guestAccess: false, pin: null, linkToken: null }, [], o)).toMatchObject({
      guest_access: false,
      dial_in: null,
      join_url: null,
    });
  });

  it('says that a moderator PIN exists, never the PIN itself', () => {
    const c = conferenceContent({ ...group, moderatorPin: '9876543210' }, [], o);
    expect(c.moderator_pin).toBe(true);
    expect(JSON.stringify(c)).not.toContain('9876543210');
    // Without one (and without guest access) the field is absent: the brief's shape stays as it was.
    expect(conferenceContent(group, [], o)).not.toHaveProperty('moderator_pin');
    expect(
      conferenceContent(
        { ...group, guestAccess: false, pin: null, linkToken: null, moderatorPin: '9876543210' },
        [],
        o,
      ),
    ).not.toHaveProperty('moderator_pin');
  });

  describe('coalescing writer', () => {
    afterEach(() => vi.useRealTimers());

    it('writes a burst once, and an unchanged content not again', async () => {
      vi.useFakeTimers();
      let current: ConferenceContent = {
        guest_access: false,
        dial_in: null,
        join_url: null,
        status: 'idle',
        waiting: 0,
      };
      const written: ConferenceContent[] = [];
      const w = new CoalescingStateWriter({
        delayMs: 300,
        log: createLogger('test', 'silent'),
        build: async () => current,
        write: async (_room, c) => {
          written.push(c);
        },
      });
      for (let i = 1; i <= 5; i++) {
        current = { ...current, waiting: i };
        w.schedule('!r');
      }
      await vi.advanceTimersByTimeAsync(350);
      expect(written.map((c) => c.waiting)).toEqual([5]);
      w.schedule('!r');
      await vi.advanceTimersByTimeAsync(350);
      expect(written).toHaveLength(1);
      expect(await w.flush('!r', true)).toBe(true);
      expect(written).toHaveLength(2);
    });
  });
});
