// Display names of the virtual users that stand for guests and callers in the room.

/** "+49 991 •••• 166": country code and area shown, the middle hidden, the last three shown. */
export function maskNumber(raw: string): string {
  const digits = raw.replace(/[^0-9]/g, '');
  const plus = raw.trim().startsWith('+');
  if (digits.length < 6) return `${plus ? '+' : ''}${'•'.repeat(Math.max(digits.length - 2, 2))}${digits.slice(-2)}`;
  const cc = plus ? (digits.startsWith('1') || digits.startsWith('7') ? 1 : 2) : 0;
  const head = plus ? `+${digits.slice(0, cc)} ${digits.slice(cc, cc + 3)}` : digits.slice(0, 4);
  return `${head} •••• ${digits.slice(-3)}`;
}

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
