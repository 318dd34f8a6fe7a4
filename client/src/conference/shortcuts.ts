// Keyboard shortcuts of the conference's function bar, one letter each as in other conference
// tools (M microphone, V camera, S screen, F full screen, C chat, P participants, D devices). Only a plain
// key counts: typing in the chat or a name field, or a key with Ctrl/Alt/Meta, is left alone.

export type ShortcutAction = 'mic' | 'camera' | 'screen' | 'fullscreen' | 'chat' | 'participants' | 'devices';

export const SHORTCUT_KEYS: Record<ShortcutAction, string> = {
  mic: 'M',
  camera: 'V',
  screen: 'S',
  fullscreen: 'F',
  chat: 'C',
  participants: 'P',
  devices: 'D',
};

const BY_KEY = new Map(Object.entries(SHORTCUT_KEYS).map(([action, key]) => [key, action as ShortcutAction]));

/** What the page needs to know of a keydown (a KeyboardEvent has all of it). */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  repeat: boolean;
  defaultPrevented: boolean;
  /** Where the key was typed (an element: its tag name and whether it is editable). */
  target: EventTarget | { tagName?: string; isContentEditable?: boolean } | null;
}

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export function shortcutFor(e: KeyPress): ShortcutAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey || e.repeat || e.defaultPrevented) return null;
  const where = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  if (where && (TYPING.has(where.tagName ?? '') || where.isContentEditable === true)) return null;
  return BY_KEY.get(e.key.toUpperCase()) ?? null;
}
