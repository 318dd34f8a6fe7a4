import { describe, expect, it } from 'vitest';
import {
  botUserIdOf,
  DEFAULT_BOT_LOCALPART,
  isFederatedUser,
  isLocalUser,
  isUserId,
  localpartOf,
  makeGuestUserId,
  makePhoneUserId,
  makePuppetUserId,
  memberKindOf,
  parseGuestUserId,
  parsePhoneUserId,
  parsePuppetUserId,
  PUPPET_KINDS,
  PUPPET_PREFIX,
  puppetLocalpart,
  serverOf,
  userIdOf,
} from '../src/matrix-ids.ts';
import * as fromIndex from '../src/index.ts';
import { generateRegistration } from '@foyer/config';

const HERE = 'example.org';
const PORTED = 'localhost:18048';

describe('Matrix user IDs', () => {
  it('builds user IDs and the bot’s ID from a localpart and a server name', () => {
    expect(userIdOf('anna', HERE)).toBe('@anna:example.org');
    expect(botUserIdOf('foyer', HERE)).toBe('@foyer:example.org');
    expect(botUserIdOf('lobby', PORTED)).toBe('@lobby:localhost:18048');
    expect(DEFAULT_BOT_LOCALPART).toBe('foyer');
  });

  // The localpart ends at the first colon; ports stay with the server.
  const parts: Record<string, { localpart: string; server: string }> = {
    '@bob:other.org': { localpart: 'bob', server: 'other.org' },
    '@lobby:localhost:18048': { localpart: 'lobby', server: 'localhost:18048' },
    '@a:b.org:8448': { localpart: 'a', server: 'b.org:8448' },
    '@Bob:Other.org': { localpart: 'Bob', server: 'Other.org' },
    '@bob:': { localpart: 'bob', server: '' },
    '@:x': { localpart: '', server: 'x' },
    '@bob': { localpart: 'bob', server: '' },
    bob: { localpart: 'bob', server: '' },
    '': { localpart: '', server: '' },
  };
  it.each(Object.entries(parts))('takes %j apart', (userId, { localpart, server }) => {
    expect(localpartOf(userId)).toBe(localpart);
    expect(serverOf(userId)).toBe(server);
    expect(isUserId(userId)).toBe(userId.startsWith('@') && localpart !== '' && server !== '');
  });

  it('knows a user ID from a room ID', () => {
    expect(isUserId('!room:other.org')).toBe(false);
  });

  it.each([
    // user ID, our server, local?, federated? (exact comparison: case and port count)
    ['@anna:example.org', HERE, true, false],
    ['@anna:localhost:18048', PORTED, true, false],
    ['@anna:localhost:18049', PORTED, false, true],
    ['@anna:localhost', PORTED, false, true],
    ['@anna:EXAMPLE.ORG', HERE, false, true],
    ['@anna:sub.example.org', HERE, false, true],
    ['@bob:other.org', HERE, false, true],
    ['anna', HERE, false, false], // without a server it is neither
  ])('%s on %s: local %s, federated %s', (userId, serverName, local, federated) => {
    expect(isLocalUser(userId, serverName)).toBe(local);
    expect(isFederatedUser(userId, serverName)).toBe(federated);
  });
});

describe('puppets', () => {
  it('has one prefix, the registration’s, and two kinds', () => {
    expect(PUPPET_PREFIX).toBe('foyer_');
    expect(fromIndex.PUPPET_PREFIX).toBe(PUPPET_PREFIX);
    expect(PUPPET_KINDS).toEqual(['guest', 'phone']);
    const reg = generateRegistration({ url: 'http://127.0.0.1:1', botLocalpart: 'lobby' });
    expect(reg.sender_localpart).toBe('lobby');
    const users = reg.namespaces.users.map((u) => new RegExp(`^${u.regex}$`));
    for (const id of [makeGuestUserId('ab12', HERE), makePhoneUserId('77', PORTED), botUserIdOf('lobby', HERE)])
      expect(
        users.some((r) => r.test(id)),
        id,
      ).toBe(true);
  });

  it('makes and parses guests’ and callers’ IDs', () => {
    expect(puppetLocalpart('guest', 'ab12')).toBe('foyer_guest_ab12');
    expect(makeGuestUserId('ab12', HERE)).toBe('@foyer_guest_ab12:example.org');
    expect(makePhoneUserId('x7y8', PORTED)).toBe('@foyer_phone_x7y8:localhost:18048');
    expect(makePuppetUserId('phone', '77', HERE)).toBe('@foyer_phone_77:example.org');
    expect(parseGuestUserId(makeGuestUserId('ab12', HERE), HERE)).toBe('ab12');
    expect(parsePhoneUserId(makePhoneUserId('x7y8', PORTED), PORTED)).toBe('x7y8');
    expect(parsePuppetUserId('@foyer_phone_x7y8:localhost:18048')).toEqual({
      kind: 'phone',
      id: 'x7y8',
      serverName: 'localhost:18048',
    });
  });

  it('refuses to make an ID from a participant ID that is no localpart of ours', () => {
    for (const bad of ['', 'AB12', 'a:b', 'a_b', 'ab12:evil.org'])
      expect(() => makeGuestUserId(bad, HERE), bad).toThrow(/participant ID/);
  });

  it('parses nothing but well-formed puppets', () => {
    expect(parseGuestUserId(makePhoneUserId('ab12', HERE), HERE)).toBeUndefined(); // the other kind
    expect(parsePhoneUserId(makeGuestUserId('ab12', HERE), HERE)).toBeUndefined();
    for (const bad of [
      '@foyer_guest_:example.org', // no ID
      '@foyer_guest_AB12:example.org', // uppercase
      '@FOYER_GUEST_ab12:example.org',
      '@foyer_guest_ab-12:example.org',
      '@foyer_guest_ab12', // no server
      'foyer_guest_ab12:example.org', // no '@'
      '@foyer_visitor_ab12:example.org', // no such kind
      '@other_guest_ab12:example.org', // wrong prefix
      '@xfoyer_guest_ab12:example.org',
      '@foyer:example.org', // the bot
      '@anna:example.org',
    ])
      expect(parsePuppetUserId(bad), bad).toBeUndefined();
  });

  it('holds only our server’s puppets for ours', () => {
    expect(parseGuestUserId('@foyer_guest_ab12:partner.example', HERE)).toBeUndefined();
    expect(parsePhoneUserId('@foyer_phone_ab12:localhost:18049', PORTED)).toBeUndefined();
    expect(parsePuppetUserId('@foyer_guest_ab12:partner.example', HERE)).toBeUndefined();
    expect(parsePuppetUserId('@foyer_guest_ab12:example.org.evil', HERE)).toBeUndefined();
    expect(parsePuppetUserId('@foyer_guest_ab12:partner.example')?.serverName).toBe('partner.example');
  });
});

describe('member kinds', () => {
  const ours = { botUserId: '@lobby:localhost:18048', serverName: PORTED };

  it('tells the bot, puppets, staff and federated members apart', () => {
    expect(memberKindOf('@lobby:localhost:18048', ours)).toBe('bot');
    expect(memberKindOf('@foyer_guest_ab12:localhost:18048', ours)).toBe('guest');
    expect(memberKindOf('@foyer_phone_ab12:localhost:18048', ours)).toBe('phone');
    expect(memberKindOf('@anna:localhost:18048', ours)).toBe('staff');
    expect(memberKindOf('@bob:localhost:18049', ours)).toBe('federated');
  });

  it('takes the bot from the config, not from the name "foyer"', () => {
    expect(memberKindOf('@foyer:localhost:18048', ours)).toBe('staff');
    expect(memberKindOf('@lobby:localhost:18049', ours)).toBe('federated');
  });

  it('counts another server’s look-alikes as federated, and our odd puppet IDs as puppets', () => {
    expect(memberKindOf('@foyer_guest_ab12:localhost:18049', ours)).toBe('federated');
    expect(memberKindOf('@foyer_phone_ab12:localhost', ours)).toBe('federated');
    // The namespace is the bridge's alone: never a person (nor a moderator), even if malformed.
    expect(memberKindOf('@foyer_guest_AB12:localhost:18048', ours)).toBe('guest');
  });
});
