// Hold music for the waiting area, made on the spot with WebAudio: a slow, quiet arpeggio of
// sine tones over four chords, looping. Nothing is downloaded.

export type HoldMusicState = 'playing' | 'stopped' | 'blocked';

/** MIDI notes of the chords, played upwards as an arpeggio, two rounds per chord. */
const chords: readonly (readonly number[])[] = [
  [60, 64, 67, 71], // C maj7
  [57, 60, 64, 67], // A min7
  [53, 57, 60, 64], // F maj7
  [55, 59, 62, 65], // G7
];
const NOTE_SECONDS = 0.42;
const NOTES_PER_CHORD = 8;
const VOLUME = 0.05;
const LOOKAHEAD_SECONDS = 0.35;

function frequency(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

/** Note number `n` of the endless loop: its pitch, and whether a soft bass tone goes with it. */
export function holdMusicNote(n: number): { frequency: number; bass: number | null } {
  const chordIndex = Math.floor(n / NOTES_PER_CHORD) % chords.length;
  const chord = chords[chordIndex] ?? chords[0] ?? [60];
  const step = n % NOTES_PER_CHORD;
  const midi = (chord[step % chord.length] ?? 60) + (step >= chord.length ? 12 : 0);
  const root = chord[0] ?? 60;
  return { frequency: frequency(midi), bass: step === 0 ? frequency(root - 12) : null };
}

export class HoldMusic {
  private context: AudioContext | null = null;
  private master: GainNode | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextNote = 0;
  private nextTime = 0;

  private readonly onState: (state: HoldMusicState) => void;

  constructor(onState: (state: HoldMusicState) => void) {
    this.onState = onState;
  }

  /** Starts (or resumes after the browser blocked autoplay); reports the outcome via onState. */
  async start(speakerId = ''): Promise<void> {
    if (!this.context) {
      try {
        this.context = new AudioContext();
      } catch {
        this.onState('stopped');
        return;
      }
      this.master = this.context.createGain();
      this.master.gain.value = VOLUME;
      this.master.connect(this.context.destination);
      this.nextTime = this.context.currentTime + 0.1;
      this.timer = setInterval(() => this.schedule(), 100);
      void this.setSpeaker(speakerId);
    }
    try {
      await this.context.resume();
    } catch {
      // Stays suspended: reported below.
    }
    if (!this.context) return;
    this.onState(this.context.state === 'running' ? 'playing' : 'blocked');
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const context = this.context;
    this.context = null;
    this.master = null;
    if (context) void context.close().catch(() => undefined);
    this.onState('stopped');
  }

  async setSpeaker(speakerId: string): Promise<void> {
    // AudioContext.setSinkId is newer than the DOM typings.
    const context = this.context as (AudioContext & { setSinkId?: (id: string) => Promise<void> }) | null;
    try {
      await context?.setSinkId?.(speakerId);
    } catch {
      // The default speaker then.
    }
  }

  private schedule(): void {
    const context = this.context;
    const master = this.master;
    if (!context || !master || context.state !== 'running') return;
    // After a pause (a background tab), start again from now rather than catching up.
    if (this.nextTime < context.currentTime) this.nextTime = context.currentTime + 0.05;
    while (this.nextTime < context.currentTime + LOOKAHEAD_SECONDS) {
      const note = holdMusicNote(this.nextNote++);
      this.tone(context, master, note.frequency, this.nextTime, 1.6, 1);
      if (note.bass !== null) this.tone(context, master, note.bass, this.nextTime, NOTE_SECONDS * 8, 0.6);
      this.nextTime += NOTE_SECONDS;
    }
  }

  private tone(context: AudioContext, out: AudioNode, hz: number, at: number, length: number, peak: number): void {
    const oscillator = context.createOscillator();
    oscillator.type = 'sine';
    oscillator.frequency.value = hz;
    const envelope = context.createGain();
    envelope.gain.setValueAtTime(0.0001, at);
    envelope.gain.exponentialRampToValueAtTime(peak, at + 0.04);
    envelope.gain.exponentialRampToValueAtTime(0.0001, at + length);
    oscillator.connect(envelope).connect(out);
    oscillator.start(at);
    oscillator.stop(at + length + 0.05);
    oscillator.onended = () => envelope.disconnect();
  }
}
