// The conference's keyboard shortcuts: plain letters only, never while typing.
import { describe, expect, it } from 'vitest';
import { SHORTCUT_KEYS, shortcutFor, type KeyPress } from '../src/conference/shortcuts.ts';

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  repeat: false,
  defaultPrevented: false,
  target: { tagName: 'BODY' },
  ...extra,
});

describe('conference shortcuts', () => {
  it('maps one letter to each control, in either case', () => {
    expect(shortcutFor(press('m'))).toBe('mic');
    expect(shortcutFor(press('M'))).toBe('mic');
    expect(shortcutFor(press('v'))).toBe('camera');
    expect(shortcutFor(press('s'))).toBe('screen');
    expect(shortcutFor(press('f'))).toBe('fullscreen');
    expect(shortcutFor(press('c'))).toBe('chat');
    expect(shortcutFor(press('p'))).toBe('participants');
    expect(shortcutFor(press('d'))).toBe('devices');
    expect(shortcutFor(press('x'))).toBeNull();
    expect(new Set(Object.values(SHORTCUT_KEYS)).size).toBe(Object.keys(SHORTCUT_KEYS).length);
  });

  it('leaves typing, modified keys, held keys and handled keys alone', () => {
    expect(shortcutFor(press('m', { target: { tagName: 'TEXTAREA' } }))).toBeNull();
    expect(shortcutFor(press('m', { target: { tagName: 'INPUT' } }))).toBeNull();
    expect(shortcutFor(press('m', { target: { tagName: 'DIV', isContentEditable: true } }))).toBeNull();
    expect(shortcutFor(press('m', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(press('c', { metaKey: true }))).toBeNull();
    expect(shortcutFor(press('m', { altKey: true }))).toBeNull();
    expect(shortcutFor(press('m', { repeat: true }))).toBeNull();
    expect(shortcutFor(press('m', { defaultPrevented: true }))).toBeNull();
    expect(shortcutFor(press('m', { target: null }))).toBe('mic');
  });
});
