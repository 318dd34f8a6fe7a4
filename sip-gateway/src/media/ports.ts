// UDP ports for the RTP relay from the configured range. Each bind is tried for real, so ports
// taken by anything else are skipped; a cursor spreads use over the range so a just-freed port
// is not reused at once (late packets of the old call would land in the new one).
import { createSocket, type Socket } from 'node:dgram';

export class PortRangeExhaustedError extends Error {
  override name = 'PortRangeExhaustedError';
}

export class UdpPortPool {
  private readonly min: number;
  private readonly max: number;
  private readonly host: string;
  private cursor: number;

  constructor(host: string, min: number, max: number) {
    this.host = host;
    this.min = min;
    this.max = max;
    this.cursor = min;
  }

  private bind(port: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const sock = createSocket({ type: 'udp4', reuseAddr: false });
      const onError = () => {
        sock.close();
        resolve(undefined);
      };
      sock.once('error', onError);
      sock.bind({ port, address: this.host, exclusive: true }, () => {
        sock.off('error', onError);
        resolve(sock);
      });
    });
  }

  /** A bound socket on a free port of the range. */
  async open(): Promise<Socket> {
    const size = this.max - this.min + 1;
    for (let i = 0; i < size; i++) {
      const port = this.cursor;
      this.cursor = this.cursor >= this.max ? this.min : this.cursor + 1;
      const sock = await this.bind(port);
      if (sock) return sock;
    }
    throw new PortRangeExhaustedError(`no free UDP port in ${this.min}-${this.max}`);
  }
}
