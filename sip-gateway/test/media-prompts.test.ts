// scripts/prompts: every prompt, the chime and the hold music are generated as plausible raw
// μ-law audio; hold music is not mistaken for a test tone; a second run is a no-op.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelDbov, loadUlawFile, toneRatio } from '../src/media/audio.ts';
import { decodeUlaw } from '../src/media/g711.ts';
import { COUNT_NAMES, PROMPT_NAMES } from '../src/ivr/prompts.ts';

const SCRIPT = join(import.meta.dirname, '../../scripts/prompts');
// The names the gateway loads at start: the script must make every one of them.
const PROMPTS = [...PROMPT_NAMES, ...COUNT_NAMES];
const SAMPLE_RATE = 8000;

const out = join(mkdtempSync(join(tmpdir(), 'foyer-prompts-')), 'prompts');
const allFiles = () => [
  ...['de', 'en'].flatMap((lang) => PROMPTS.map((p) => join(out, lang, `${p}.ul`))),
  join(out, 'join.ul'),
  join(out, 'beep.ul'),
  join(out, 'hold.ul'),
];

beforeAll(() => {
  execFileSync(SCRIPT, [out], { stdio: 'pipe' });
}, 60_000);
afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }));

describe('scripts/prompts', () => {
  it('generates every spoken prompt in German and English with a plausible length', () => {
    for (const lang of ['de', 'en']) {
      for (const prompt of PROMPTS) {
        const audio = loadUlawFile(join(out, lang, `${prompt}.ul`));
        expect(audio.length, `${lang}/${prompt}`).toBeGreaterThanOrEqual(0.5 * SAMPLE_RATE);
        // The moderators' help lists five keys: it may take longer.
        const maxSeconds = prompt === 'help-moderator' ? 20 : 10;
        expect(audio.length, `${lang}/${prompt}`).toBeLessThanOrEqual(maxSeconds * SAMPLE_RATE);
        // The 200 ms lead-in is silent, the speech after it is clearly audible.
        expect(levelDbov(decodeUlaw(audio.subarray(0, 1400))), `${lang}/${prompt} lead-in`).toBeLessThan(-60);
        expect(levelDbov(decodeUlaw(audio.subarray(1600))), `${lang}/${prompt}`).toBeGreaterThan(-30);
      }
    }
  });

  it('makes a short chime of 660 Hz then 880 Hz', () => {
    const chime = decodeUlaw(loadUlawFile(join(out, 'join.ul')));
    expect(chime.length).toBeGreaterThanOrEqual(0.3 * SAMPLE_RATE);
    expect(chime.length).toBeLessThanOrEqual(0.6 * SAMPLE_RATE);
    const half = chime.length / 2;
    expect(toneRatio(chime.subarray(0, half), 660, SAMPLE_RATE)).toBeGreaterThan(0.7);
    expect(toneRatio(chime.subarray(half), 880, SAMPLE_RATE)).toBeGreaterThan(0.7);
  });

  it('makes about 20 s of audible hold music that is no 440 Hz or 1000 Hz tone', () => {
    const hold = decodeUlaw(loadUlawFile(join(out, 'hold.ul')));
    expect(hold.length).toBeGreaterThanOrEqual(15 * SAMPLE_RATE);
    expect(hold.length).toBeLessThanOrEqual(30 * SAMPLE_RATE);
    expect(levelDbov(hold)).toBeGreaterThan(-35);
    expect(levelDbov(hold)).toBeLessThan(-10);
    expect(toneRatio(hold, 440, SAMPLE_RATE)).toBeLessThan(0.2);
    expect(toneRatio(hold, 1000, SAMPLE_RATE)).toBeLessThan(0.2);
    // Also second by second, as a tone detector on live audio would look at it.
    for (let start = 0; start + SAMPLE_RATE <= hold.length; start += SAMPLE_RATE) {
      const second = hold.subarray(start, start + SAMPLE_RATE);
      expect(levelDbov(second), `second ${start / SAMPLE_RATE}`).toBeGreaterThan(-45);
      expect(toneRatio(second, 440, SAMPLE_RATE), `second ${start / SAMPLE_RATE}`).toBeLessThan(0.2);
    }
  });

  it('does nothing on a second run', () => {
    const before = allFiles().map((f) => [statSync(f).mtimeMs, readFileSync(f)] as const);
    const version = readFileSync(join(out, '.version'), 'utf8');
    const started = performance.now();
    execFileSync(SCRIPT, [out], { stdio: 'pipe' });
    expect(performance.now() - started).toBeLessThan(1000);
    allFiles().forEach((f, i) => {
      expect(statSync(f).mtimeMs, f).toBe(before[i]![0]);
      expect(readFileSync(f).equals(before[i]![1]), f).toBe(true);
    });
    expect(readFileSync(join(out, '.version'), 'utf8')).toBe(version);
  });

  it('explains its usage', () => {
    expect(() => execFileSync(SCRIPT, [], { stdio: 'pipe' })).toThrow(/usage: scripts\/prompts <outdir>/);
  });

  it('says how to get a missing tool', () => {
    // A PATH with only the basics the script needs before its tool check.
    const bin = join(out, '..', 'bin');
    mkdirSync(bin);
    const where = (tool: string) => execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    for (const tool of ['bash', 'sha256sum', 'cut', 'cat', 'mkdir']) symlinkSync(where(tool), join(bin, tool));
    const run = () => execFileSync(SCRIPT, [join(out, '..', 'elsewhere')], { stdio: 'pipe', env: { PATH: bin } });
    expect(run).toThrow(/espeak-ng is not installed \(run scripts\/setup\)/);
    symlinkSync(where('espeak-ng'), join(bin, 'espeak-ng'));
    expect(run).toThrow(/sox is not installed \(run scripts\/setup\)/);
  });
});
