// Keypad controls for callers in a conference: a star, then one key, within a few seconds.
//   *6 mute or unmute yourself   *1 how many are here   *0 help
//   moderators also: *7 lock or unlock the conference   *8 mute everyone but moderators

export type KeypadCommand = 'toggle-mute' | 'count' | 'help' | 'toggle-lock' | 'mute-all';

const COMMANDS: Readonly<Record<string, KeypadCommand>> = {
  '6': 'toggle-mute',
  '1': 'count',
  '0': 'help',
  '7': 'toggle-lock',
  '8': 'mute-all',
};

export class Keypad {
  private starAt: number | undefined;
  private readonly windowMs: number;

  constructor(windowMs = 3000) {
    this.windowMs = windowMs;
  }

  /** Feed one key; returns the command it completes, if any. */
  push(key: string, now: number = Date.now()): KeypadCommand | undefined {
    if (key === '*') {
      this.starAt = now;
      return undefined;
    }
    const armed = this.starAt !== undefined && now - this.starAt <= this.windowMs;
    this.starAt = undefined;
    return armed ? COMMANDS[key] : undefined;
  }
}
