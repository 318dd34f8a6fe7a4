// The gateway's calls to the bridge's internal API (common/src/internal-protocol.ts).
import {
  TIMEOUT_HEADER,
  type Admission,
  type AdmissionRequest,
  type ConferenceChanges,
  type ConferenceReport,
  type GuestMessage,
} from '@foyer/common';

/** How long the gateway waits for the bridge; the bridge gives up on work not begun by then. */
const TIMEOUT_MS = 10_000;

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
        [TIMEOUT_HEADER]: String(TIMEOUT_MS),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => ({}))) as T & { message?: string; error?: string };
    if (res.status === 409 && json.error === 'resync') return { status: res.status, body: json };
    if (res.status >= 400 && res.status !== 404)
      throw new BridgeApiError(res.status, json.message ?? `bridge answered ${res.status}`);
    return { status: res.status, body: json };
  }

  /** The bridge's decision on a way in (a call, a PIN, a guest link, a verified member). */
  async admit(q: AdmissionRequest): Promise<Admission> {
    return (await this.call<Admission>('POST', '/internal/v1/admit', q)).body;
  }

  /** The whole conference. */
  async reportConference(roomId: string, report: ConferenceReport): Promise<void> {
    const r = await this.call('PUT', `/internal/v1/groups/${encodeURIComponent(roomId)}/conference`, report);
    if (r.status === 404) throw new BridgeApiError(404, 'no such group');
  }

  /** What changed since the last report the bridge confirmed; 'resync': send the whole conference. */
  async reportChanges(roomId: string, changes: ConferenceChanges): Promise<'ok' | 'resync'> {
    const r = await this.call('PATCH', `/internal/v1/groups/${encodeURIComponent(roomId)}/conference`, changes);
    if (r.status === 404) throw new BridgeApiError(404, 'no such group');
    return r.status === 409 ? 'resync' : 'ok';
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
