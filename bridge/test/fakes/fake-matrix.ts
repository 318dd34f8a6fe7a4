// A small homeserver stand-in for the bridge's Matrix calls (MatrixCalls): rooms with state and
// members, notices and deletions recorded, failures injectable. Enough for group logic; no sync,
// no federation, no power-level checks.
import { MatrixError, type MatrixCalls, type StateEvent } from '../../src/matrix/api.ts';

interface FakeRoom {
  state: Map<string, StateEvent>;
  notices: string[];
}

const stateKey = (type: string, key: string) => `${type}\u0000${key}`;

export class FakeMatrix implements MatrixCalls {
  readonly botUserId: string;
  readonly rooms = new Map<string, FakeRoom>();
  /** Every call, as "method roomId [user]", for order checks. */
  readonly calls: string[] = [];
  readonly deleted: { roomId: string; message: string }[] = [];
  readonly registered = new Set<string>();
  readonly displayNames = new Map<string, string>();
  private nextRoom = 0;
  private nextEvent = 0;

  constructor(botUserId: string) {
    this.botUserId = botUserId;
  }

  /** A room as if someone made it: `sender` is its creator and joined. */
  addRoom(roomId: string, creator: string, extra: StateEvent[] = []): void {
    const room: FakeRoom = { state: new Map(), notices: [] };
    this.rooms.set(roomId, room);
    const put = (e: StateEvent) => room.state.set(stateKey(e.type, e.state_key), e);
    put({ type: 'm.room.create', state_key: '', sender: creator, content: { room_version: '12' } });
    put({ type: 'm.room.member', state_key: creator, sender: creator, content: { membership: 'join' } });
    for (const e of extra) put(e);
  }

  private room(roomId: string): FakeRoom {
    const room = this.rooms.get(roomId);
    if (!room) throw new MatrixError({ errcode: 'M_NOT_FOUND', error: 'no such room' }, 404);
    return room;
  }

  private setMembership(roomId: string, userId: string, sender: string, membership: string): void {
    this.room(roomId).state.set(stateKey('m.room.member', userId), {
      type: 'm.room.member',
      state_key: userId,
      sender,
      content: { membership },
    });
  }

  membershipOf(roomId: string, userId: string): string | undefined {
    const c = this.rooms.get(roomId)?.state.get(stateKey('m.room.member', userId))?.content;
    return typeof c?.membership === 'string' ? c.membership : undefined;
  }

  stateOf(roomId: string, type: string, key = ''): Record<string, unknown> | undefined {
    return this.rooms.get(roomId)?.state.get(stateKey(type, key))?.content;
  }

  noticesIn(roomId: string): string[] {
    return this.rooms.get(roomId)?.notices ?? [];
  }

  async join(roomId: string, as?: string, content?: { displayname?: string }): Promise<void> {
    const who = as ?? this.botUserId;
    this.calls.push(`join ${roomId} ${who}`);
    this.setMembership(roomId, who, who, 'join');
    if (content?.displayname !== undefined) this.displayNames.set(who, content.displayname);
  }

  async leave(roomId: string, as?: string): Promise<void> {
    const who = as ?? this.botUserId;
    this.calls.push(`leave ${roomId} ${who}`);
    this.setMembership(roomId, who, who, 'leave');
  }

  async invite(roomId: string, userId: string): Promise<void> {
    this.calls.push(`invite ${roomId} ${userId}`);
    const now = this.membershipOf(roomId, userId);
    if (now === 'join' || now === 'invite')
      throw new MatrixError({ errcode: 'M_FORBIDDEN', error: `${userId} is already in the room` }, 403);
    this.setMembership(roomId, userId, this.botUserId, 'invite');
  }

  async createRoom(body: Record<string, unknown>): Promise<string> {
    const roomId = `!created${++this.nextRoom}`;
    this.calls.push(`createRoom ${roomId}`);
    this.addRoom(roomId, this.botUserId, [
      { type: 'm.room.name', state_key: '', sender: this.botUserId, content: { name: body.name } },
    ]);
    for (const u of (body.invite as string[] | undefined) ?? [])
      this.setMembership(roomId, u, this.botUserId, 'invite');
    return roomId;
  }

  async roomState(roomId: string): Promise<StateEvent[]> {
    return [...this.room(roomId).state.values()].map((e) => ({ ...e, content: { ...e.content } }));
  }

  async sendState(
    roomId: string,
    type: string,
    key: string,
    content: Record<string, unknown>,
    as?: string,
  ): Promise<string> {
    this.calls.push(`sendState ${roomId} ${type}${as ? ` ${as}` : ''}`);
    this.room(roomId).state.set(stateKey(type, key), { type, state_key: key, sender: as ?? this.botUserId, content });
    return `$state${++this.nextEvent}`;
  }

  /** Delayed events scheduled and not sent or cancelled, by delay ID. */
  readonly delayed = new Map<
    string,
    { roomId: string; type: string; key: string; content: Record<string, unknown>; as?: string }
  >();
  /** The homeserver's MatrixRTC transports. */
  transports: { type: string; livekit_service_url?: string }[] = [];

  async sendDelayedState(
    roomId: string,
    type: string,
    key: string,
    content: Record<string, unknown>,
    _delayMs: number,
    as?: string,
  ): Promise<string> {
    this.room(roomId);
    const id = `syd_${++this.nextEvent}`;
    this.delayed.set(id, { roomId, type, key, content, ...(as ? { as } : {}) });
    return id;
  }

  async updateDelayedEvent(delayId: string, action: 'restart' | 'send' | 'cancel', _as?: string): Promise<void> {
    this.calls.push(`delayed ${action}`);
    const d = this.delayed.get(delayId);
    if (!d) throw new MatrixError({ errcode: 'M_NOT_FOUND', error: 'no such delayed event' }, 404);
    if (action === 'restart') return;
    this.delayed.delete(delayId);
    if (action === 'send') await this.sendState(d.roomId, d.type, d.key, d.content, d.as);
  }

  async delayedEvents(as?: string) {
    return [...this.delayed.entries()]
      .filter(([, d]) => d.as === as)
      .map(([id, d]) => ({ delay_id: id, room_id: d.roomId, type: d.type, state_key: d.key }));
  }

  async stateEvent(roomId: string, type: string, key: string): Promise<Record<string, unknown> | undefined> {
    return this.room(roomId).state.get(stateKey(type, key))?.content;
  }

  async rtcTransports(): Promise<{ type: string; livekit_service_url?: string }[]> {
    return this.transports;
  }

  async send(roomId: string, type: string, _txnId: string, _content: Record<string, unknown>): Promise<string> {
    this.calls.push(`send ${roomId} ${type}`);
    this.room(roomId);
    return `$event${++this.nextEvent}`;
  }

  async sendNotice(roomId: string, body: string): Promise<string> {
    this.room(roomId).notices.push(body);
    return this.send(roomId, 'm.room.message', 'notice', { msgtype: 'm.notice', body });
  }

  async registerVirtualUser(localpart: string): Promise<void> {
    this.calls.push(`register ${localpart}`);
    this.registered.add(localpart);
  }

  async setDisplayName(userId: string, displayname: string): Promise<void> {
    this.calls.push(`setDisplayName ${userId}`);
    this.displayNames.set(userId, displayname);
  }

  async deleteRoom(roomId: string, message: string): Promise<string> {
    this.room(roomId);
    this.rooms.delete(roomId);
    this.deleted.push({ roomId, message });
    return 'delete1';
  }
}
