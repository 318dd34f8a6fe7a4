// Callers' numbers as people see them: masked by default, the same in the room and the
// conference page.

/** "+49 991 •••• 166": country code and area shown, the middle hidden, the last three shown. */
export function maskNumber(raw: string): string {
  const digits = raw.replace(/[^0-9]/g, '');
  const plus = raw.trim().startsWith('+');
  if (digits.length < 6) return `${plus ? '+' : ''}${'•'.repeat(Math.max(digits.length - 2, 2))}${digits.slice(-2)}`;
  const cc = plus ? (digits.startsWith('1') || digits.startsWith('7') ? 1 : 2) : 0;
  const head = plus ? `+${digits.slice(0, cc)} ${digits.slice(cc, cc + 3)}` : digits.slice(0, 4);
  return `${head} •••• ${digits.slice(-3)}`;
}
