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
] as const;
export type PromptName = (typeof PROMPT_NAMES)[number] | 'join' | 'hold';

export class Prompts {
  private readonly sounds: Map<PromptName, Buffer>;

  private constructor(sounds: Map<PromptName, Buffer>) {
    this.sounds = sounds;
  }

  static load(o: { dir: string; language: 'de' | 'en'; holdMusic?: string }): Prompts {
    const sounds = new Map<PromptName, Buffer>();
    const hint = ' (make them with: scripts/prompts <dir>)';
    const load = (file: string) => {
      try {
        return loadUlawFile(file);
      } catch (err) {
        throw new Error(`${(err as Error).message}${hint}`, { cause: err });
      }
    };
    for (const name of PROMPT_NAMES) sounds.set(name, load(join(o.dir, o.language, `${name}.ul`)));
    sounds.set('join', load(join(o.dir, 'join.ul')));
    sounds.set('hold', load(o.holdMusic ?? join(o.dir, 'hold.ul')));
    return new Prompts(sounds);
  }

  get(name: PromptName): Buffer {
    const s = this.sounds.get(name);
    if (!s) throw new Error(`no prompt ${name}`);
    return s;
  }
}
