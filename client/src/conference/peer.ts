// RTCPeerConnection helpers. The conference protocol has no trickle ICE: every description the
// page sends carries all its candidates, so it waits for gathering to finish first.
import type { Jsep } from '@foyer/common/conference-protocol';

export const ICE_GATHERING_TIMEOUT_MS = 5_000;

/** A peer connection for the gateway's Janus, relaying through the gateway's TURN servers if any. */
export function newPeerConnection(iceServers: RTCIceServer[] = []): RTCPeerConnection {
  return new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers });
}

/** Resolves when ICE gathering is complete, or after `timeoutMs` with what was gathered so far. */
export function waitForIceGathering(pc: RTCPeerConnection, timeoutMs = ICE_GATHERING_TIMEOUT_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onState);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onState = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const onCandidate = (event: RTCPeerConnectionIceEvent): void => {
      if (event.candidate === null) done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onState);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

function jsepOf(description: RTCSessionDescription | null): Jsep {
  if (!description || (description.type !== 'offer' && description.type !== 'answer')) {
    throw new Error('the peer connection has no local description');
  }
  return { type: description.type, sdp: description.sdp };
}

/** Creates an offer, applies it and returns it with every gathered candidate. */
export async function completeOffer(pc: RTCPeerConnection): Promise<Jsep> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIceGathering(pc);
  return jsepOf(pc.localDescription);
}

/** Applies a remote offer and returns the complete answer. */
export async function completeAnswer(pc: RTCPeerConnection, offer: Jsep): Promise<Jsep> {
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await waitForIceGathering(pc);
  return jsepOf(pc.localDescription);
}

/** The first stream of a track event, or a new one holding just the track. */
export function streamOf(event: RTCTrackEvent): MediaStream {
  return event.streams[0] ?? new MediaStream([event.track]);
}
