// A UDP peer on loopback for the relay tests (a caller's phone, or the mix's side), keeping every
// RTP packet it receives.
import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, type RtpPacket } from '../../src/media/rtp.ts';

export interface RtpPeer {
  sock: Socket;
  port: number;
  got: RtpPacket[];
}

/** A bound peer; `track` collects its socket so a test's afterEach can close it. */
export async function rtpPeer(track: Socket[]): Promise<RtpPeer> {
  const sock = createSocket('udp4');
  track.push(sock);
  const got: RtpPacket[] = [];
  sock.on('message', (m) => {
    const p = parseRtp(m);
    if (p) got.push(p);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { sock, port: sock.address().port, got };
}
