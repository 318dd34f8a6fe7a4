// The IVR's sounds, loaded once at start: a missing file is a start-up error naming it, not
// silence in a caller's ear later.
import { join } from 'node:path';
import { loadUlawFile } from '../media/audio.ts';

export const PROMPT_NAMES = [
  'welcome',
  'enter-pin',
  'wrong-pin',
  'goodbye',
  'waiting',
  'on-hold',
  'not-available',
  'too-many-attempts',
  'timeout',
  'muted',
  'unmuted',
  'help',
  'help-moderator',
  'locked',
  'unlocked',
  'conference-locked',
  'conference-full',
  'all-muted',
  'moderator',
  'say-name',
  'has-joined',
  'has-left',
  'count-1',
  'count-more',
] as const;
/** Spoken counts exist for 2 to this; beyond it, count-more. */
export const MAX_SPOKEN_COUNT = 20;
export const COUNT_NAMES = Array.from({ length: MAX_SPOKEN_COUNT - 1 }, (_, i) => `count-${i + 2}` as const);
export type PromptName = (typeof PROMPT_NAMES)[number] | (typeof COUNT_NAMES)[number] | 'join' | 'hold' | 'beep';

/**
 * The sound in shared memory: the relays run in a worker thread (media/relay-host.ts), and a
 * shared buffer passed to it is shared, not copied — 300 callers put on hold at once would
 * otherwise copy the hold music 300 times.
 */
function shared(sound: Buffer): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(sound.length));
  sound.copy(out);
  return out;
}

export class Prompts {
  private readonly sounds: Map<PromptName, Buffer>;
  private readonly dir: string;
  private readonly extra = new Map<string, Buffer | undefined>();

  private constructor(sounds: Map<PromptName, Buffer>, dir: string) {
    this.sounds = sounds;
    this.dir = dir;
  }

  static load(o: { dir: string; language: 'de' | 'en'; holdMusic?: string }): Prompts {
    const sounds = new Map<PromptName, Buffer>();
    const hint = ' (make them with: scripts/prompts <dir>)';
    const load = (file: string) => {
      try {
        return shared(loadUlawFile(file));
      } catch (err) {
        throw new Error(`${(err as Error).message}${hint}`, { cause: err });
      }
    };
    for (const name of [...PROMPT_NAMES, ...COUNT_NAMES]) sounds.set(name, load(join(o.dir, o.language, `${name}.ul`)));
    sounds.set('join', load(join(o.dir, 'join.ul')));
    sounds.set('beep', load(join(o.dir, 'beep.ul')));
    sounds.set('hold', load(o.holdMusic ?? join(o.dir, 'hold.ul')));
    return new Prompts(sounds, o.dir);
  }

  /**
   * A room's own hold music: a file name in the prompts folder (8 kHz mu-law), loaded once.
   * Undefined (the default music then) when the name is unsafe or the file is unusable.
   */
  music(file: string): Buffer | undefined {
    if (!/^[\w.-]+$/.test(file) || file.startsWith('.')) return undefined;
    if (!this.extra.has(file)) {
      try {
        this.extra.set(file, shared(loadUlawFile(join(this.dir, file))));
      } catch {
        this.extra.set(file, undefined);
      }
    }
    return this.extra.get(file);
  }

  /** "There are n participants" (n ≥ 1). */
  count(n: number): Buffer {
    if (n <= 1) return this.get('count-1');
    return this.get(n > MAX_SPOKEN_COUNT ? 'count-more' : (`count-${n}` as PromptName));
  }

  get(name: PromptName): Buffer {
    const s = this.sounds.get(name);
    if (!s) throw new Error(`no prompt ${name}`);
    return s;
  }
}
