// The gateway's calls to the bridge's internal API (common/src/internal-protocol.ts).
import type { Admission, AdmissionRequest, ConferenceReport, GuestMessage } from '@foyer/common';

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

  /** The bridge's decision on a way in (a call, a PIN, a guest link, a verified member). */
  async admit(q: AdmissionRequest): Promise<Admission> {
    return (await this.call<Admission>('POST', '/internal/v1/admit', q)).body;
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
