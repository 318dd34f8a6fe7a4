// The gateway's calls to the bridge's internal API (common/src/internal-protocol.ts).
import type {
  ConferenceReport,
  FixedRoomAccess,
  FixedRoomInfo,
  GroupInfo,
  GroupPinAccess,
  GuestMessage,
} from '@foyer/common';

export class BridgeApiError extends Error {
  override name = 'BridgeApiError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class BridgeClient {
  private readonly baseUrl: string;
  private readonly secret: string;

  constructor(baseUrl: string, secret: string) {
    this.baseUrl = baseUrl;
    this.secret = secret;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.secret}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json().catch(() => ({}))) as T & { message?: string };
    if (res.status >= 400 && res.status !== 404)
      throw new BridgeApiError(res.status, json.message ?? `bridge answered ${res.status}`);
    return { status: res.status, body: json };
  }

  /**
   * The group whose guest access has this PIN (role participant) or moderator PIN (role
   * moderator), or undefined (unknown or revoked).
   */
  async lookupPin(pin: string): Promise<GroupPinAccess | undefined> {
    const r = await this.call<GroupPinAccess>('POST', '/internal/v1/lookup', { pin });
    return r.status === 200 ? r.body : undefined;
  }

  async lookupToken(token: string): Promise<GroupInfo | undefined> {
    const r = await this.call<GroupInfo>('POST', '/internal/v1/lookup', { token });
    return r.status === 200 ? r.body : undefined;
  }

  /** The fixed conference room at this extension (the dialled number), or undefined. */
  async lookupExtension(extension: string): Promise<FixedRoomInfo | undefined> {
    const r = await this.call<FixedRoomInfo>('POST', '/internal/v1/lookup', { extension });
    return r.status === 200 ? r.body : undefined;
  }

  /** Whether this PIN opens the fixed room (as participant or moderator); undefined when not. */
  async checkRoomPin(extension: string, pin: string): Promise<FixedRoomAccess | undefined> {
    const r = await this.call<FixedRoomAccess>('POST', '/internal/v1/lookup', { extension, pin });
    return r.status === 200 ? r.body : undefined;
  }

  async group(roomId: string): Promise<GroupInfo | undefined> {
    const r = await this.call<GroupInfo>('GET', `/internal/v1/groups/${encodeURIComponent(roomId)}`);
    return r.status === 200 ? r.body : undefined;
  }

  async reportConference(roomId: string, report: ConferenceReport): Promise<void> {
    const r = await this.call('PUT', `/internal/v1/groups/${encodeURIComponent(roomId)}/conference`, report);
    if (r.status === 404) throw new BridgeApiError(404, 'no such group');
  }

  /** After a gateway restart: no guest or caller of before is still connected. */
  async resetConferences(): Promise<void> {
    await this.call('POST', '/internal/v1/conferences/reset', {});
  }

  /** Hand a guest's chat message to the bridge; it is stored before this resolves. */
  async postMessage(roomId: string, m: GuestMessage): Promise<{ id: number; status: string }> {
    const r = await this.call<{ id: number; status: string; message?: string }>(
      'POST',
      `/internal/v1/groups/${encodeURIComponent(roomId)}/messages`,
      m,
    );
    if (r.status === 404) throw new BridgeApiError(404, r.body.message ?? 'not in the conference');
    return r.body;
  }
}
