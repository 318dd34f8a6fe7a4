// The bridge's admin API (fixed conference rooms), as scripts/foyer-admin calls it.
import type { FoyerConfig } from '@foyer/config';
import type { StackInfo } from './stack.ts';

export async function adminApi(
  info: StackInfo,
  config: FoyerConfig,
  method: string,
  path: string,
  body?: unknown,
  secret = config.adminApi?.secret ?? '',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${info.bridgeApiUrl}/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
