import { describe, expect, it } from 'vitest';
import {
  badgeText,
  conferenceStatus,
  directRooms,
  filterContacts,
  sortContacts,
  totalUnread,
  type Contact,
} from '../src/staff/contacts.ts';

const contact = (roomId: string, name: string, lastActivity: number, unread = 0): Contact => ({
  roomId,
  kind: 'group',
  name,
  avatarUrl: null,
  unread,
  lastActivity,
  conference: null,
});

const list = [contact('!a', 'Zoe', 100), contact('!b', 'anna', 300, 2), contact('!c', 'Bernd', 200, 5)];

describe('contact list logic', () => {
  it('sorts by activity, newest first, and by name as an option', () => {
    expect(sortContacts(list, 'activity').map((c) => c.roomId)).toEqual(['!b', '!c', '!a']);
    expect(sortContacts(list, 'name').map((c) => c.name)).toEqual(['anna', 'Bernd', 'Zoe']);
  });

  it('a contact with a new message moves to the top', () => {
    const after = list.map((c) => (c.roomId === '!a' ? { ...c, lastActivity: 400, unread: 1 } : c));
    expect(sortContacts(after, 'activity')[0]?.roomId).toBe('!a');
  });

  it('sorts equal times by name, and does not change its input', () => {
    const same = [contact('!x', 'b', 5), contact('!y', 'a', 5)];
    expect(sortContacts(same, 'activity').map((c) => c.name)).toEqual(['a', 'b']);
    expect(same.map((c) => c.name)).toEqual(['b', 'a']);
  });

  it('adds up the unread counts for the own picture', () => {
    expect(totalUnread(list)).toBe(7);
    expect(totalUnread([])).toBe(0);
    expect(totalUnread([contact('!n', 'n', 0, -1)])).toBe(0);
  });

  it('badge text', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(100)).toBe('99+');
  });

  it('filters by every word of the search, ignoring case, also by Matrix ID', () => {
    expect(filterContacts(list, 'BER').map((c) => c.roomId)).toEqual(['!c']);
    expect(filterContacts(list, '  ').length).toBe(3);
    const dm = { ...contact('!d', 'Bob (other.org)', 1), kind: 'direct' as const, userId: '@bob:other.org' };
    expect(filterContacts([dm], 'bob other').map((c) => c.roomId)).toEqual(['!d']);
    expect(filterContacts([dm], '@bob:other').length).toBe(1);
    expect(filterContacts([dm], 'alice').length).toBe(0);
  });

  it('reads the conference status, ignoring unknown ones', () => {
    expect(conferenceStatus({ status: 'waiting', waiting: 1 })).toBe('waiting');
    expect(conferenceStatus({ status: 'running' })).toBe('running');
    expect(conferenceStatus({ status: 'bogus' })).toBeNull();
    expect(conferenceStatus(null)).toBeNull();
  });

  it('maps m.direct to rooms and their partner, skipping malformed entries', () => {
    const rooms = directRooms({ '@b:x': ['!1', '!2'], '@c:x': '!3', '@d:x': [4, '!4'] });
    expect([...rooms]).toEqual([
      ['!1', '@b:x'],
      ['!2', '@b:x'],
      ['!4', '@d:x'],
    ]);
    expect(directRooms(undefined).size).toBe(0);
  });
});
