import { describe, expect, it } from 'vitest';
import { initials, personName, userKind } from '../src/staff/names.ts';

describe('names in the staff client', () => {
  it('shows members of other servers with their server', () => {
    expect(personName('@bob:other.org', null, 'example.org')).toBe('Bob (other.org)');
    expect(personName('@bob:other.org', 'Bob Builder', 'example.org')).toBe('Bob Builder (other.org)');
    expect(personName('@anna:example.org', 'Anna', 'example.org')).toBe('Anna');
    expect(personName('@anna:example.org', '  ', 'example.org')).toBe('Anna');
  });

  it('recognises the bridge’s virtual users, on our server alone', () => {
    const kinds = {
      '@foyer_guest_ab12:example.org': 'guest',
      '@foyer_phone_77:example.org': 'phone',
      '@foyer:example.org': 'staff',
      '@anna:example.org': 'staff',
      // Another server's look-alikes are people of that server, not our bridge's.
      '@foyer_guest_ab12:other.org': 'staff',
    };
    for (const [userId, kind] of Object.entries(kinds)) expect(userKind(userId, 'example.org'), userId).toBe(kind);
  });

  it('names a user without a server by the ID', () => {
    expect(personName('nonsense', null, 'example.org')).toBe('Nonsense');
  });

  it('initials', () => {
    expect(initials('Anna Berg')).toBe('AB');
    expect(initials('Bob (other.org)')).toBe('B');
    expect(initials('#team')).toBe('T');
    expect(initials('Élise')).toBe('É');
    expect(initials('')).toBe('?');
  });
});
