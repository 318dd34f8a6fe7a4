// A WebSocket stand-in for the page's socket logic: records what was sent, plays the server.
import type { ClientMessage, ServerMessage } from '@foyer/common/conference-protocol';
import type { SocketHandlers } from '../src/conference/session.ts';

export class FakeSocket {
  readonly url: string;
  readonly handlers: SocketHandlers;
  readonly sent: ClientMessage[] = [];
  closed = false;

  constructor(url: string, handlers: SocketHandlers) {
    this.url = url;
    this.handlers = handlers;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.handlers.open();
  }

  receive(message: ServerMessage | Record<string, unknown>): void {
    this.handlers.message(JSON.stringify(message));
  }

  drop(code = 1006): void {
    this.handlers.close(code, '');
  }

  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}
