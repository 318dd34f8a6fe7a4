// The browser app's logic that needs no DOM: language choice and the homeserver check.
import { describe, expect, it } from 'vitest';
import { checkHomeserver, newestFirst } from '../src/homeserver.ts';
import { messages, pickLanguage } from '../src/i18n.ts';

describe('pickLanguage', () => {
  it('takes the first preferred language we have', () => {
    expect(pickLanguage(['de-AT', 'en'])).toBe('de');
    expect(pickLanguage(['fr-FR', 'en-GB', 'de'])).toBe('en');
    expect(pickLanguage(['fr', 'DE'])).toBe('de');
  });

  it('falls back to English', () => {
    expect(pickLanguage([])).toBe('en');
    expect(pickLanguage(['fr', 'it'])).toBe('en');
  });

  it('has the same keys in both languages', () => {
    expect(Object.keys(messages.de).sort()).toEqual(Object.keys(messages.en).sort());
  });
});

const jsonResponse = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('checkHomeserver', () => {
  it('reports the versions, newest first, from the versions endpoint', async () => {
    let requested = '';
    const fetchStub: typeof fetch = async (input) => {
      requested = String(input);
      return jsonResponse({ versions: ['r0.6.1', 'v1.2', 'v1.12', 'v1.11'] });
    };
    const result = await checkHomeserver('https://matrix.example.org/', { fetch: fetchStub });
    expect(requested).toBe('https://matrix.example.org/_matrix/client/versions');
    expect(result).toEqual({ state: 'reachable', versions: ['v1.12', 'v1.11', 'v1.2', 'r0.6.1'] });
  });

  it('explains HTTP errors, non-Matrix answers, network errors and timeouts', async () => {
    const cases: [typeof fetch, unknown][] = [
      [
        async () => jsonResponse({ errcode: 'M_UNKNOWN' }, 502),
        { state: 'unreachable', reason: 'http', httpStatus: 502 },
      ],
      [async () => new Response('<html>proxy</html>'), { state: 'unreachable', reason: 'not-matrix' }],
      [async () => jsonResponse({ versions: [] }), { state: 'unreachable', reason: 'not-matrix' }],
      [
        async () => {
          throw new TypeError('fetch failed');
        },
        { state: 'unreachable', reason: 'network' },
      ],
      [
        (_input, init) =>
          new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          }),
        { state: 'unreachable', reason: 'timeout' },
      ],
    ];
    for (const [fetchStub, expected] of cases) {
      expect(await checkHomeserver('https://hs.example', { fetch: fetchStub, timeoutMs: 20 })).toEqual(expected);
    }
  });
});

describe('newestFirst', () => {
  it('orders spec versions numerically and puts unknown names last', () => {
    expect(newestFirst(['v1.9', 'unstable', 'v1.10', 'r0.5.0', 'v1.1'])).toEqual([
      'v1.10',
      'v1.9',
      'v1.1',
      'r0.5.0',
      'unstable',
    ]);
  });
});
