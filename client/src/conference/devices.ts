// Cameras, microphones, speakers and screens: opening them, listing them, and measuring the microphone.
import { deviceProblemOf, type DeviceProblem } from './device-problem.ts';

export interface DeviceOption {
  id: string;
  label: string;
}

export interface DeviceLists {
  audioinput: DeviceOption[];
  videoinput: DeviceOption[];
  audiooutput: DeviceOption[];
}

export const noDevices: DeviceLists = { audioinput: [], videoinput: [], audiooutput: [] };

export type TrackResult = { track: MediaStreamTrack; problem: null } | { track: null; problem: DeviceProblem };

const videoConstraints: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };
const audioConstraints: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

function mediaDevices(): MediaDevices {
  // Missing outside secure contexts (plain http on another host).
  if (!('mediaDevices' in navigator) || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('no media devices in this context'), { name: 'NoMediaDevices' });
  }
  return navigator.mediaDevices;
}

/** One microphone or camera track (a chosen device, or the default). */
export async function openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<TrackResult> {
  const base = kind === 'audio' ? audioConstraints : videoConstraints;
  const constraints = deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
  try {
    const stream = await mediaDevices().getUserMedia({ [kind]: constraints });
    const [track] = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    return track ? { track, problem: null } : { track: null, problem: 'not_found' };
  } catch (err) {
    return { track: null, problem: deviceProblemOf(err) };
  }
}

/**
 * Microphone and camera in one request (one permission prompt); when that fails, each on its
 * own, so a missing camera does not cost the microphone.
 */
export async function openBoth(): Promise<{ audio: TrackResult; video: TrackResult }> {
  try {
    const stream = await mediaDevices().getUserMedia({ audio: audioConstraints, video: videoConstraints });
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    return {
      audio: audio ? { track: audio, problem: null } : { track: null, problem: 'not_found' },
      video: video ? { track: video, problem: null } : { track: null, problem: 'not_found' },
    };
  } catch (err) {
    const problem = deviceProblemOf(err);
    if (problem === 'insecure') return { audio: { track: null, problem }, video: { track: null, problem } };
    const audio = await openTrack('audio');
    const video = await openTrack('video');
    return { audio, video };
  }
}

/**
 * A screen, window or tab the person picks; null when they cancelled the browser's picker.
 * Rejects when the browser cannot share one.
 */
export async function pickScreen(): Promise<MediaStreamTrack | null> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    // Cancelling the picker is not an error worth a message.
    if (err instanceof DOMException && err.name === 'NotAllowedError') return null;
    throw err;
  }
  const track = stream.getVideoTracks()[0] ?? null;
  if (track) track.contentHint = 'detail';
  return track;
}

/** The devices the browser reveals (with labels once a permission was given). */
export async function listDevices(): Promise<DeviceLists> {
  try {
    const all = await mediaDevices().enumerateDevices();
    const lists: DeviceLists = { audioinput: [], videoinput: [], audiooutput: [] };
    for (const device of all) {
      // Before any permission, browsers list nameless placeholders without IDs.
      if (device.deviceId === '') continue;
      const list = lists[device.kind];
      list.push({ id: device.deviceId, label: device.label || `${device.kind} ${list.length + 1}` });
    }
    return lists;
  } catch {
    return noDevices;
  }
}

/** Whether audio can be sent to a chosen speaker (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Plays `element` on speaker `deviceId` ('' = default), where the browser allows it. */
export async function setSpeaker(element: HTMLMediaElement, deviceId: string): Promise<void> {
  if (!canChooseSpeaker()) return;
  try {
    await element.setSinkId(deviceId);
  } catch (err) {
    console.warn('conference: could not switch the speaker', err);
  }
}

/**
 * Measures a microphone track: calls `onLevel` about ten times a second with 0..1 (−60 dBFS and
 * below is 0). Returns the function that stops measuring.
 */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  let context: AudioContext;
  try {
    context = new AudioContext();
  } catch {
    return () => undefined;
  }
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let level = 0;
  const timer = setInterval(() => {
    if (context.state === 'suspended') void context.resume().catch(() => undefined);
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const now = Math.min(1, Math.max(0, (db + 60) / 60));
    // Rise at once, fall slowly: easier to read.
    level = Math.max(now, level * 0.8);
    onLevel(track.enabled ? Math.round(level * 100) / 100 : 0);
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close().catch(() => undefined);
  };
}
