// The video tiles of the conference view: remote videos, the own camera and the own screen.
import type { MediaSource, ParticipantView } from '@foyer/common/conference-protocol';

/** A video track the page receives from the LiveKit room. */
export interface RemoteVideo {
  /** The track's ID in the room (as in the statistics of the test hook). */
  feed: string;
  source: MediaSource;
  /** The publisher's LiveKit identity: the `media` of its participant. */
  owner: string;
  stream: MediaStream;
}

export interface Tile {
  key: string;
  /** The track's ID in the room; own tiles: own-camera, own-screen. */
  feed: string;
  source: MediaSource;
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
  const byIdentity = new Map(participants.flatMap((p) => (p.media === undefined ? [] : [[p.media, p] as const])));
  const own = participants.find((p) => p.id === ownId);

  const tiles: Tile[] = [];
  if (input.ownScreen) {
    tiles.push({
      key: 'own-screen',
      feed: 'own-screen',
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
    const owner = byIdentity.get(video.owner);
    const name = owner?.name ?? '';
    const camera = video.source === 'camera';
    tiles.push({
      key: `feed-${video.feed}`,
      feed: video.feed,
      source: video.source,
      own: false,
      label: camera ? name : labels.screen(name),
      stream: video.stream,
      participantId: owner?.id ?? null,
      muted: camera && (owner?.muted ?? false),
      speaking: camera && owner !== undefined && isSpeaking(owner),
    });
  }
  if (input.ownCamera) {
    tiles.push({
      key: 'own-camera',
      feed: 'own-camera',
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
