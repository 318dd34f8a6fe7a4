// The video tiles of the conference view: remote feeds, the own camera and the own screen.
import type { ParticipantView } from '@foyer/common/conference-protocol';
import type { RemoteVideo } from './page-media.ts';

export interface Tile {
  key: string;
  /** The feed ID (for own tiles: the feed the gateway lists for us, else own-camera/own-screen). */
  feed: string;
  source: 'camera' | 'screen';
  own: boolean;
  label: string;
  stream: MediaStream;
  participantId: string | null;
  muted: boolean;
  speaking: boolean;
}

const SPEAKING_LEVEL = 0.1;

/** Speaking: in the conference, not muted, and loud enough. */
export function isSpeaking(p: ParticipantView): boolean {
  return !p.waiting && !p.muted && p.level > SPEAKING_LEVEL;
}

interface TileInput {
  participants: ParticipantView[];
  ownId: string | null;
  remote: RemoteVideo[];
  ownCamera: MediaStream | null;
  ownScreen: MediaStream | null;
  ownMuted: boolean;
  labels: { you: string; yourScreen: string; screen: (name: string) => string };
}

export function buildTiles(input: TileInput): Tile[] {
  const { participants, ownId, labels } = input;
  const owner = new Map<string, { participant: ParticipantView; source: 'camera' | 'screen' }>();
  for (const participant of participants) {
    for (const feed of participant.feeds) owner.set(feed.id, { participant, source: feed.source });
  }
  const own = participants.find((p) => p.id === ownId);
  const ownFeed = (source: 'camera' | 'screen'): string =>
    own?.feeds.find((f) => f.source === source)?.id ?? `own-${source}`;

  const tiles: Tile[] = [];
  if (input.ownScreen) {
    tiles.push({
      key: 'own-screen',
      feed: ownFeed('screen'),
      source: 'screen',
      own: true,
      label: labels.yourScreen,
      stream: input.ownScreen,
      participantId: ownId,
      muted: false,
      speaking: false,
    });
  }
  for (const video of input.remote) {
    const info = owner.get(video.feed);
    const name = info?.participant.name ?? '';
    const source = info?.source ?? 'camera';
    tiles.push({
      key: `feed-${video.feed}`,
      feed: video.feed,
      source,
      own: false,
      label: source === 'screen' ? labels.screen(name) : name,
      stream: video.stream,
      participantId: info?.participant.id ?? null,
      muted: source === 'camera' && (info?.participant.muted ?? false),
      speaking: source === 'camera' && info !== undefined && isSpeaking(info.participant),
    });
  }
  if (input.ownCamera) {
    tiles.push({
      key: 'own-camera',
      feed: ownFeed('camera'),
      source: 'camera',
      own: true,
      label: labels.you,
      stream: input.ownCamera,
      participantId: ownId,
      muted: input.ownMuted,
      speaking: !input.ownMuted && own !== undefined && isSpeaking(own),
    });
  }
  return tiles;
}
