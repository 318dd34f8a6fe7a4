// Display names of the virtual users that stand for guests and callers in the room.
import { maskNumber } from '@foyer/common';

/** A person's name as typed: control and format characters gone, spaces folded, bounded. */
export function cleanName(raw: string, max = 64): string {
  const cleaned = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  return [...cleaned].slice(0, max).join('');
}

export function guestDisplayName(name: string): string {
  return `${cleanName(name) || 'Gast'} (Gast)`;
}

export function phoneDisplayName(number: string | null, mask: boolean): string {
  if (!number || !/[0-9]/.test(number)) return 'Unbekannt (Telefon)';
  return `${mask ? maskNumber(number) : cleanName(number, 32)} (Telefon)`;
}
