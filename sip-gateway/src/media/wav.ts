// A reader for 16-bit PCM WAVE files, enough to analyse what test clients (baresip) record.
import { readFileSync } from 'node:fs';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved when channels > 1. */
  samples: Int16Array;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe; // the real format is then the first two bytes of the sub-format GUID

/** Reads a 16-bit PCM RIFF/WAVE file; throws an Error naming the file when it is anything else. */
export function readWav(path: string): WavAudio {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read WAVE file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseWav(data, path);
}

/** Parses WAVE file contents; `name` only labels errors. */
export function parseWav(data: Buffer, name = 'WAVE data'): WavAudio {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error(`${name}: not a RIFF/WAVE file`);
  }
  let format: PcmFormat | undefined;
  let offset = 12;
  while (offset + 8 <= data.length) {
    const id = data.toString('latin1', offset, offset + 4);
    const declaredSize = data.readUInt32LE(offset + 4);
    const bodyStart = offset + 8;
    if (id === 'fmt ') {
      format = parsePcmFormat(data.subarray(bodyStart, bodyStart + declaredSize), name);
    } else if (id === 'data') {
      if (!format) throw new Error(`${name}: data chunk before fmt chunk`);
      // A recorder that was killed may leave the size unset or too large: take what is there.
      const size = Math.min(declaredSize, data.length - bodyStart);
      const count = Math.floor(size / (2 * format.channels)) * format.channels;
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = data.readInt16LE(bodyStart + 2 * i);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    // Chunks are padded to an even length; the pad byte is not counted in the size.
    offset = bodyStart + declaredSize + (declaredSize & 1);
  }
  throw new Error(`${name}: ${format ? 'no data chunk' : 'no fmt chunk'}`);
}

interface PcmFormat {
  sampleRate: number;
  channels: number;
}

function parsePcmFormat(chunk: Buffer, name: string): PcmFormat {
  if (chunk.length < 16) throw new Error(`${name}: truncated fmt chunk`);
  let formatTag = chunk.readUInt16LE(0);
  const channels = chunk.readUInt16LE(2);
  const sampleRate = chunk.readUInt32LE(4);
  const bitsPerSample = chunk.readUInt16LE(14);
  if (formatTag === FORMAT_EXTENSIBLE) {
    if (chunk.length < 40) throw new Error(`${name}: truncated WAVE_FORMAT_EXTENSIBLE fmt chunk`);
    formatTag = chunk.readUInt16LE(24);
  }
  if (formatTag !== FORMAT_PCM) throw new Error(`${name}: unsupported format ${formatTag} (only integer PCM is read)`);
  if (bitsPerSample !== 16) throw new Error(`${name}: unsupported ${bitsPerSample}-bit samples (only 16-bit is read)`);
  if (channels === 0) throw new Error(`${name}: zero channels`);
  if (sampleRate === 0) throw new Error(`${name}: zero sample rate`);
  return { sampleRate, channels };
}

/** Averages interleaved channels into one; mono input is returned as is (not copied). */
export function mono(samples: Int16Array, channels: number): Int16Array {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`invalid channel count ${channels}`);
  if (channels === 1) return samples;
  const frames = Math.floor(samples.length / channels);
  const out = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[frame * channels + c]!;
    out[frame] = Math.round(sum / channels);
  }
  return out;
}
