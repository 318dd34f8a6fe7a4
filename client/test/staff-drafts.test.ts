import { describe, expect, it } from 'vitest';
import { draftUpdate, storedDraft } from '../src/staff/drafts.ts';
import { groupPowerUsers } from '../src/staff/groups.ts';
import {
  clearSession,
  loadSession,
  normaliseHomeserver,
  saveSession,
  SESSION_KEY,
} from '../src/staff/session-store.ts';

describe('drafts', () => {
  it('reads the stored draft, tolerating anything malformed', () => {
    expect(storedDraft({ body: 'Hallo' })).toBe('Hallo');
    expect(storedDraft({ body: 3 })).toBe('');
    expect(storedDraft({})).toBe('');
    expect(storedDraft(undefined)).toBe('');
  });

  it('writes only what changed; white space counts as no draft', () => {
    expect(draftUpdate('Hallo', '')).toEqual({ body: 'Hallo' });
    expect(draftUpdate('Hallo', 'Hallo')).toBeNull();
    expect(draftUpdate('', 'Hallo')).toEqual({ body: '' });
    expect(draftUpdate('  \n', 'Hallo')).toEqual({ body: '' });
    expect(draftUpdate('   ', '')).toBeNull();
    expect(draftUpdate('line 1\nline 2', '')).toEqual({ body: 'line 1\nline 2' });
  });
});

describe('the stored session', () => {
  const memory = () => {
    const data = new Map<string, string>();
    return {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
  };

  it('round-trips and clears', () => {
    const store = memory();
    const session = { homeserverUrl: 'https://hs', userId: '@a:hs', accessToken: 't', deviceId: 'D' };
    expect(loadSession(store)).toBeNull();
    saveSession(store, session);
    expect(loadSession(store)).toEqual(session);
    clearSession(store);
    expect(loadSession(store)).toBeNull();
  });

  it('ignores broken data', () => {
    const store = memory();
    store.setItem(SESSION_KEY, '{not json');
    expect(loadSession(store)).toBeNull();
    store.setItem(SESSION_KEY, JSON.stringify({ userId: '@a:hs' }));
    expect(loadSession(store)).toBeNull();
  });

  it('normalises a homeserver address', () => {
    expect(normaliseHomeserver('matrix.example.org/')).toBe('https://matrix.example.org');
    expect(normaliseHomeserver(' http://127.0.0.1:8008 ')).toBe('http://127.0.0.1:8008');
    expect(normaliseHomeserver('ftp://x')).toBeNull();
    expect(normaliseHomeserver('')).toBeNull();
  });
});

describe('a new group’s power levels', () => {
  it('lists only the bot from room version 12 on, the creator too before', () => {
    expect(groupPowerUsers('12', '@me:x', '@foyer:x')).toEqual({ '@foyer:x': 100 });
    expect(groupPowerUsers('org.matrix.hydra.11', '@me:x', '@foyer:x')).toEqual({ '@foyer:x': 100 });
    expect(groupPowerUsers('10', '@me:x', '@foyer:x')).toEqual({ '@me:x': 100, '@foyer:x': 100 });
  });
});
