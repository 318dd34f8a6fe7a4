// The settings' moderator-PIN question to the gateway: hello → welcome → closed, and failures
// that reach the user as an error instead of a spinner that never ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthProvider } from '../src/conference/session.ts';
import { fetchModeratorPin, ModeratorPinError } from '../src/staff/moderator-pin.ts';
import { FakeSocket } from './fake-socket.ts';

const auth: AuthProvider = {
  kind: 'matrix',
  credentials: () =>
    Promise.resolve({
      kind: 'matrix',
      userId: '@ann:example.org',
      roomId: '!room',
      openidToken: 'oidc',
      serverName: 'example.org',
    }),
};

function ask(timeoutMs?: number) {
  let socket: FakeSocket | undefined;
  const pin = fetchModeratorPin({
    url: () => Promise.resolve('ws://gateway/ws/conference'),
    auth,
    connect: (url, handlers) => (socket = new FakeSocket(url, handlers)),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  const opened = async () => {
    await vi.waitFor(() => expect(socket).toBeDefined());
    const s = socket as FakeSocket;
    s.open();
    return s;
  };
  return { pin, opened };
}

const welcome = (role: 'moderator' | 'participant', moderatorPin?: string) => ({
  type: 'welcome' as const,
  role,
  roomId: '!room',
  name: 'Sales',
  participantId: null,
  dialIn: { number: '+49 30 1234', pin: '1234567890' },
  media: 'livekit' as const,
  ...(moderatorPin ? { moderatorPin } : {}),
});

describe('moderator PIN from the gateway', () => {
  afterEach(() => vi.useRealTimers());

  it('says hello with the OpenID token, reads the welcome, and closes without joining', async () => {
    const { pin, opened } = ask();
    const socket = await opened();
    expect(socket.sent).toEqual([
      {
        type: 'hello',
        auth: {
          kind: 'matrix',
          userId: '@ann:example.org',
          roomId: '!room',
          openidToken: 'oidc',
          serverName: 'example.org',
        },
      },
    ]);
    socket.receive(welcome('moderator', '5550001112'));
    await expect(pin).resolves.toBe('5550001112');
    expect(socket.closed).toBe(true);
    expect(socket.types()).not.toContain('join');
  });

  it('is null for a group without one, and for a participant even if a PIN were sent', async () => {
    const a = ask();
    (await a.opened()).receive(welcome('moderator'));
    await expect(a.pin).resolves.toBeNull();
    const b = ask();
    (await b.opened()).receive(welcome('participant', '5550001112'));
    await expect(b.pin).resolves.toBeNull();
  });

  it('fails with the gateway’s reason, on a closed socket, and when nobody answers', async () => {
    const refused = ask();
    (await refused.opened()).receive({
      type: 'error',
      code: 'forbidden',
      message: 'you are not a member',
      fatal: true,
    });
    await expect(refused.pin).rejects.toThrow(new ModeratorPinError('you are not a member'));

    const dropped = ask();
    (await dropped.opened()).drop();
    await expect(dropped.pin).rejects.toBeInstanceOf(ModeratorPinError);

    const silent = ask(50);
    await silent.opened();
    await expect(silent.pin).rejects.toThrow('did not answer');
  });
});
