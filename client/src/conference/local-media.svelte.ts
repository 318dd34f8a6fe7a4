// The person's own camera and microphone, from the start screen's preview to the conference:
// which devices exist, which are chosen, camera off, microphone muted, and the level meter.
// The conference media layer listens for track changes (device switch, camera on/off).
import type { DeviceProblem } from './device-problem.ts';
import {
  canChooseSpeaker,
  listDevices,
  noDevices,
  openBoth,
  openTrack,
  watchLevel,
  type DeviceLists,
} from './devices.ts';

export type TrackKind = 'audio' | 'video';
type TrackListener = (kind: TrackKind, track: MediaStreamTrack | null) => void;

export class LocalMedia {
  audioTrack = $state.raw<MediaStreamTrack | null>(null);
  videoTrack = $state.raw<MediaStreamTrack | null>(null);
  devices = $state.raw<DeviceLists>(noDevices);
  micId = $state('');
  cameraId = $state('');
  speakerId = $state('');
  cameraOff = $state(false);
  micMuted = $state(false);
  micProblem = $state<DeviceProblem | null>(null);
  cameraProblem = $state<DeviceProblem | null>(null);
  /** Microphone level 0..1 while the meter runs. */
  level = $state(0);
  /** The first request for camera and microphone has been answered (either way). */
  ready = $state(false);
  busy = $state(false);
  readonly speakerSelectable = canChooseSpeaker();

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- callbacks, not state
  private readonly listeners = new Set<TrackListener>();
  private stopMeter: (() => void) | null = null;
  private disposed = false;
  /** Bumped by release(): an init still waiting for the browser then gives its tracks back. */
  private initGeneration = 0;
  private readonly onDeviceChange = (): void => void this.refreshDevices();

  /** Asks for camera and microphone (once; again after `retry`). */
  async init(): Promise<void> {
    if (this.ready || this.busy) return;
    this.busy = true;
    const generation = ++this.initGeneration;
    try {
      const { audio, video } = await openBoth();
      if (this.disposed || generation !== this.initGeneration) {
        audio.track?.stop();
        video.track?.stop();
        return;
      }
      this.micProblem = audio.problem;
      this.cameraProblem = video.problem;
      this.setTrack('audio', audio.track);
      if (this.cameraOff) video.track?.stop();
      else this.setTrack('video', video.track);
      navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
      await this.refreshDevices();
    } finally {
      this.busy = false;
      if (generation === this.initGeneration) this.ready = true;
    }
  }

  /** After the person fixed a permission or plugged something in. */
  async retry(): Promise<void> {
    if (this.busy) return;
    this.release();
    await this.init();
  }

  /** Stops camera and microphone (their lights go out); `init` starts them again. */
  release(): void {
    this.initGeneration++;
    this.setTrack('audio', null);
    this.setTrack('video', null);
    this.ready = false;
  }

  onTrackChange(listener: TrackListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async selectMicrophone(deviceId: string): Promise<void> {
    this.micId = deviceId;
    const result = await openTrack('audio', deviceId || undefined);
    if (this.disposed) return result.track?.stop();
    this.micProblem = result.problem;
    if (result.track) this.setTrack('audio', result.track);
  }

  async selectCamera(deviceId: string): Promise<void> {
    this.cameraId = deviceId;
    if (this.cameraOff) return;
    await this.openCamera();
  }

  selectSpeaker(deviceId: string): void {
    this.speakerId = deviceId;
  }

  /** Camera off stops the track, so the camera light goes out too. */
  async setCameraOff(off: boolean): Promise<void> {
    this.cameraOff = off;
    if (off) this.setTrack('video', null);
    else if (!this.videoTrack) await this.openCamera();
  }

  setMicMuted(muted: boolean): void {
    this.micMuted = muted;
    if (this.audioTrack) this.audioTrack.enabled = !muted;
  }

  dispose(): void {
    this.disposed = true;
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.setTrack('audio', null);
    this.setTrack('video', null);
    this.listeners.clear();
  }

  private async openCamera(): Promise<void> {
    const result = await openTrack('video', this.cameraId || undefined);
    if (this.disposed || this.cameraOff) return result.track?.stop();
    this.cameraProblem = result.problem;
    if (result.track) this.setTrack('video', result.track);
  }

  private async refreshDevices(): Promise<void> {
    const devices = await listDevices();
    if (this.disposed) return;
    this.devices = devices;
    // Keep the selects in step with the tracks actually in use.
    this.micId = this.audioTrack?.getSettings().deviceId ?? this.micId;
    if (this.videoTrack) this.cameraId = this.videoTrack.getSettings().deviceId ?? this.cameraId;
    if (this.speakerId !== '' && !devices.audiooutput.some((d) => d.id === this.speakerId)) this.speakerId = '';
  }

  private setTrack(kind: TrackKind, track: MediaStreamTrack | null): void {
    const old = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (old === track) return;
    old?.stop();
    if (kind === 'audio') {
      this.stopMeter?.();
      this.stopMeter = null;
      this.level = 0;
      if (track) {
        track.enabled = !this.micMuted;
        this.stopMeter = watchLevel(track, (level) => (this.level = level));
      }
      this.audioTrack = track;
    } else {
      this.videoTrack = track;
    }
    if (track) {
      // A device unplugged, or its permission withdrawn.
      track.addEventListener('ended', () => {
        if ((kind === 'audio' ? this.audioTrack : this.videoTrack) === track) this.setTrack(kind, null);
      });
    }
    for (const listener of this.listeners) listener(kind, track);
  }
}
