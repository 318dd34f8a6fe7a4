import { describe, expect, it } from 'vitest';
import { Keypad } from '../src/conference/keypad.ts';

describe('keypad controls', () => {
  it('maps *6, *1 and *0 within the window', () => {
    const k = new Keypad(3000);
    expect(k.push('*', 0)).toBeUndefined();
    expect(k.push('6', 500)).toBe('toggle-mute');
    k.push('*', 1000);
    expect(k.push('1', 1200)).toBe('count');
    k.push('*', 2000);
    expect(k.push('0', 2100)).toBe('help');
  });

  it('ignores keys without a star, too late, or unknown', () => {
    const k = new Keypad(3000);
    expect(k.push('6', 0)).toBeUndefined();
    k.push('*', 0);
    expect(k.push('6', 3500)).toBeUndefined();
    k.push('*', 4000);
    expect(k.push('9', 4100)).toBeUndefined();
    expect(k.push('6', 4200)).toBeUndefined(); // the star was used up by the 9
    k.push('*', 5000);
    k.push('*', 5100);
    expect(k.push('6', 5200)).toBe('toggle-mute'); // a second star restarts the window
  });
});
