// WAVE reading: files written by SoX (plain and WAVE_FORMAT_EXTENSIBLE), unknown and odd-sized
// chunks, truncated recordings, and clear errors for what is not 16-bit PCM.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toneRatio } from '../src/media/audio.ts';
import { mono, parseWav, readWav } from '../src/media/wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'foyer-media-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sox(...args: string[]): void {
  execFileSync('sox', ['-q', ...args]);
}

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length & 1)]);
}

function fmtChunk(o: { format?: number; channels?: number; rate?: number; bits?: number } = {}): Buffer {
  const body = Buffer.alloc(16);
  const channels = o.channels ?? 1;
  const bits = o.bits ?? 16;
  const rate = o.rate ?? 8000;
  body.writeUInt16LE(o.format ?? 1, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE((rate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  return chunk('fmt ', body);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

const pcm = (...samples: number[]) => Buffer.from(Int16Array.from(samples).buffer);

describe('readWav', () => {
  it('reads a mono 16-bit file made by SoX', () => {
    const path = join(dir, 'tone.wav');
    sox(
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      '-e',
      'signed-integer',
      path,
      'synth',
      '0.5',
      'sine',
      '440',
      'vol',
      '0.5',
    );
    const wav = readWav(path);
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toBe(1);
    expect(wav.samples.length).toBe(4000);
    expect(toneRatio(wav.samples, 440, wav.sampleRate)).toBeGreaterThan(0.95);
  });

  it('reads a stereo file (interleaved) and averages it to mono', () => {
    const path = join(dir, 'stereo.wav');
    // Left 440 Hz, right 1000 Hz: after mono() both are there at about half the energy each.
    sox('-n', '-r', '16000', '-c', '2', '-b', '16', path, 'synth', '1', 'sine', '440', 'sine', '1000', 'vol', '0.5');
    const wav = readWav(path);
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    expect(wav.samples.length).toBe(32000);
    const left = wav.samples.filter((_, i) => i % 2 === 0);
    expect(toneRatio(left, 440, 16000)).toBeGreaterThan(0.95);
    const mixed = mono(wav.samples, 2);
    expect(mixed.length).toBe(16000);
    expect(toneRatio(mixed, 440, 16000)).toBeCloseTo(0.5, 1);
    expect(toneRatio(mixed, 1000, 16000)).toBeCloseTo(0.5, 1);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE files', () => {
    const path = join(dir, 'multi.wav');
    sox('-n', '-r', '8000', '-c', '3', '-b', '16', path, 'synth', '0.1', 'sine', '300');
    expect(readFileSync(path).readUInt16LE(20)).toBe(0xfffe); // SoX uses it for more than 2 channels
    const wav = readWav(path);
    expect(wav.channels).toBe(3);
    expect(wav.samples.length).toBe(2400);
  });

  it('skips unknown chunks, including odd-sized ones with their pad byte', () => {
    const data = riff(
      chunk('LIST', Buffer.from('abc')),
      fmtChunk(),
      chunk('junk', Buffer.alloc(5)),
      chunk('data', pcm(1, -2, 32767, -32768)),
    );
    expect(parseWav(data)).toEqual({ sampleRate: 8000, channels: 1, samples: Int16Array.from([1, -2, 32767, -32768]) });
  });

  it('takes what is there when a recording was cut off', () => {
    const data = riff(fmtChunk({ channels: 2 }), chunk('data', pcm(1, 2, 3, 4, 5, 6)));
    data.writeUInt32LE(0xffffffff, data.length - 16); // data size never filled in
    expect(parseWav(data.subarray(0, data.length - 3)).samples).toEqual(Int16Array.from([1, 2, 3, 4])); // whole frames only
  });

  it('fails clearly on anything else', () => {
    const missing = join(dir, 'missing.wav');
    expect(() => readWav(missing)).toThrow(`cannot read WAVE file ${missing}`);
    const mp3ish = join(dir, 'not.wav');
    writeFileSync(mp3ish, 'ID3 this is not a wave file');
    expect(() => readWav(mp3ish)).toThrow(`${mp3ish}: not a RIFF/WAVE file`);
    const float = join(dir, 'float.wav');
    sox('-n', '-r', '8000', '-c', '1', '-e', 'floating-point', '-b', '32', float, 'synth', '0.1', 'sine', '300');
    expect(() => readWav(float)).toThrow(`${float}: unsupported format 3`);
    const ulaw = join(dir, 'ulaw.wav');
    sox('-n', '-r', '8000', '-c', '1', '-e', 'u-law', ulaw, 'synth', '0.1', 'sine', '300');
    expect(() => readWav(ulaw)).toThrow(/unsupported format 7/);
    expect(() => parseWav(riff(fmtChunk({ bits: 24 }), chunk('data', Buffer.alloc(6))), 'x.wav')).toThrow(
      'x.wav: unsupported 24-bit samples',
    );
    expect(() => parseWav(riff(chunk('data', pcm(1))), 'x.wav')).toThrow('x.wav: data chunk before fmt chunk');
    expect(() => parseWav(riff(fmtChunk()), 'x.wav')).toThrow('x.wav: no data chunk');
    expect(() => parseWav(riff(), 'x.wav')).toThrow('x.wav: no fmt chunk');
    expect(() => parseWav(riff(chunk('fmt ', Buffer.alloc(8))), 'x.wav')).toThrow('x.wav: truncated fmt chunk');
    expect(() => parseWav(riff(fmtChunk({ channels: 0 }), chunk('data', pcm(1))), 'x.wav')).toThrow('zero channels');
  });
});

describe('mono', () => {
  it('averages channels and leaves mono alone', () => {
    expect(mono(Int16Array.from([100, 300, -32768, -32768, 1, 2]), 2)).toEqual(Int16Array.from([200, -32768, 2]));
    const alreadyMono = Int16Array.from([1, 2, 3]);
    expect(mono(alreadyMono, 1)).toBe(alreadyMono);
    expect(mono(Int16Array.from([3, 6, 9, 1]), 3)).toEqual(Int16Array.from([6])); // the incomplete frame is dropped
    expect(() => mono(alreadyMono, 0)).toThrow(RangeError);
  });
});
