// A group's moderator PIN is never in room state (partners on other servers could read it). The
// gateway tells it to moderators in the conference socket's welcome, so the settings ask there:
// hello with the user's OpenID token → welcome → close. No join: nobody sees the user in the call.
import { serverMessageSchema, type ClientMessage } from '@foyer/common/conference-protocol';
import type { AuthProvider, SocketFactory, SocketHandle } from '../conference/session.ts';

export class ModeratorPinError extends Error {
  override name = 'ModeratorPinError';
}

export interface ModeratorPinDeps {
  url: () => Promise<string>;
  auth: AuthProvider;
  connect: SocketFactory;
  timeoutMs?: number;
}

/** The group's moderator PIN, null when it has none (or the user is not a moderator). */
export async function fetchModeratorPin(d: ModeratorPinDeps): Promise<string | null> {
  const [url, auth] = await Promise.all([d.url(), d.auth.credentials(() => undefined)]);
  return new Promise<string | null>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close(1000, 'done');
      outcome();
    };
    const fail = (message: string) => finish(() => reject(new ModeratorPinError(message)));
    // The handlers and the timer run later (the socket opens asynchronously), once both are set.
    const socket: SocketHandle = d.connect(url, {
      open: () => socket.send(JSON.stringify({ type: 'hello', auth } satisfies ClientMessage)),
      message: (data) => {
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          return fail('the conference server sent something unreadable');
        }
        const parsed = serverMessageSchema.safeParse(json);
        if (!parsed.success) return;
        const m = parsed.data;
        if (m.type === 'welcome') finish(() => resolve(m.role === 'moderator' ? (m.moderatorPin ?? null) : null));
        else if (m.type === 'error') fail(m.message);
      },
      close: (_code, reason) => fail(reason || 'the connection to the conference server closed'),
    });
    const timer = setTimeout(() => fail('the conference server did not answer'), d.timeoutMs ?? 10_000);
  });
}
