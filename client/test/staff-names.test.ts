import { describe, expect, it } from 'vitest';
import { initials, localpartOf, personName, serverOf, userKind } from '../src/staff/names.ts';

describe('names in the staff client', () => {
  it('shows members of other servers with their server', () => {
    expect(personName('@bob:other.org', null, 'example.org')).toBe('Bob (other.org)');
    expect(personName('@bob:other.org', 'Bob Builder', 'example.org')).toBe('Bob Builder (other.org)');
    expect(personName('@anna:example.org', 'Anna', 'example.org')).toBe('Anna');
    expect(personName('@anna:example.org', '  ', 'example.org')).toBe('Anna');
  });

  it('recognises the bridge’s virtual users', () => {
    expect(userKind('@foyer_guest_ab12:example.org')).toBe('guest');
    expect(userKind('@foyer_phone_77:example.org')).toBe('phone');
    expect(userKind('@foyer:example.org')).toBe('staff');
    expect(userKind('@anna:example.org')).toBe('staff');
  });

  it('splits Matrix IDs', () => {
    expect(serverOf('@a:b.org:8448')).toBe('b.org:8448');
    expect(localpartOf('@a:b.org')).toBe('a');
    expect(serverOf('nonsense')).toBe('');
  });

  it('initials', () => {
    expect(initials('Anna Berg')).toBe('AB');
    expect(initials('Bob (other.org)')).toBe('B');
    expect(initials('#team')).toBe('T');
    expect(initials('Élise')).toBe('É');
    expect(initials('')).toBe('?');
  });
});
