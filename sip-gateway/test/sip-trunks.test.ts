// Trunk checks: source addresses (IP, CIDR) and digest authentication (RFC 2617, MD5, qop=auth).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TrunkGate, type TrunkConfig, type TrunkDecision } from '../src/sip/trunks.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function gate(trunks: TrunkConfig[], nonceTtlMs = 60_000) {
  return new TrunkGate(trunks, { realm: 'foyer', nonceTtlMs });
}

/** What a client puts into Authorization, as the sip package parses it (quoted values). */
function authorization(
  challenge: TrunkDecision,
  o: { username: string; password: string; uri?: string; nc?: string; qop?: boolean },
): Record<string, string>[] {
  if (challenge.kind !== 'challenge') throw new Error(`expected a challenge, got ${challenge.kind}`);
  const unq = (v: string | undefined) => v?.replace(/^"|"$/g, '') ?? '';
  const nonce = unq(challenge.params.nonce);
  const uri = o.uri ?? 'sip:1234@192.0.2.10';
  const nc = o.nc ?? '00000001';
  const cnonce = 'abcdef';
  const ha1 = md5(`${o.username}:foyer:${o.password}`);
  const ha2 = md5(`INVITE:${uri}`);
  const qop = o.qop ?? true;
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return [
    {
      scheme: 'Digest',
      username: `"${o.username}"`,
      realm: '"foyer"',
      nonce: `"${nonce}"`,
      uri: `"${uri}"`,
      response: `"${response}"`,
      algorithm: 'MD5',
      opaque: challenge.params.opaque ?? '',
      ...(qop ? { qop: 'auth', nc, cnonce: `"${cnonce}"` } : {}),
    },
  ];
}

describe('trunk source addresses', () => {
  const g = gate([
    { name: 'carrier', sourceAddresses: ['198.51.100.0/24', '203.0.113.9'] },
    { name: 'v6', sourceAddresses: ['2001:db8::/32'] },
  ]);

  it.each([
    ['198.51.100.1', 'carrier'],
    ['198.51.100.255', 'carrier'],
    ['203.0.113.9', 'carrier'],
    ['::ffff:198.51.100.7', 'carrier'],
    ['2001:db8:1::5', 'v6'],
  ])('lets %s in as %s', (source, trunk) => {
    expect(g.authorize({ method: 'INVITE', source, authorization: undefined })).toEqual({ kind: 'accept', trunk });
    expect(g.sourceAllowed(source)).toBe(true);
  });

  it.each(['198.51.101.1', '203.0.113.10', '10.0.0.1', '2001:db9::1', 'not-an-ip', ''])('refuses %s', (source) => {
    expect(g.authorize({ method: 'INVITE', source, authorization: undefined })).toEqual({
      kind: 'refuse',
      reason: 'source-not-allowed',
    });
    expect(g.sourceAllowed(source)).toBe(false);
  });

  it.each([['10.0.0.0/33'], ['10.0.0/8'], ['example.org'], ['10.0.0.1/8/1'], ['10.0.0.1/x']])(
    'rejects the config entry %s',
    (entry) => {
      expect(() => gate([{ name: 't', sourceAddresses: [entry] }])).toThrow(/trunk "t"/);
    },
  );

  it('needs at least one trunk, and addresses or credentials per trunk', () => {
    expect(() => gate([])).toThrow(/no SIP trunks/);
    expect(() => gate([{ name: 'empty', sourceAddresses: [] }])).toThrow(/trunk "empty"/);
  });
});

describe('digest authentication', () => {
  const trunks: TrunkConfig[] = [
    { name: 'pbx', sourceAddresses: [], username: 'alice', password: 'correct-horse-battery' },
  ];
  const rq = (authorization: unknown) => ({ method: 'INVITE', source: '192.0.2.50', authorization });

  it('challenges first, with a fresh random nonce each time', () => {
    const g = gate(trunks);
    const a = g.authorize(rq(undefined));
    const b = g.authorize(rq(undefined));
    expect(a).toMatchObject({
      kind: 'challenge',
      params: { scheme: 'Digest', realm: '"foyer"', algorithm: 'MD5', qop: '"auth"' },
    });
    if (a.kind !== 'challenge' || b.kind !== 'challenge') throw new Error('no challenge');
    expect(a.params.nonce).toMatch(/^"[0-9a-f]{32}"$/);
    expect(a.params.nonce).not.toBe(b.params.nonce);
  });

  it('accepts the right password, with qop=auth and without (RFC 2069)', () => {
    const g = gate(trunks);
    for (const qop of [true, false]) {
      const auth = authorization(g.authorize(rq(undefined)), {
        username: 'alice',
        password: 'correct-horse-battery',
        qop,
      });
      expect(g.authorize(rq(auth))).toEqual({ kind: 'accept', trunk: 'pbx' });
    }
  });

  it('refuses a wrong password and an unknown user', () => {
    const g = gate(trunks);
    const wrong = authorization(g.authorize(rq(undefined)), { username: 'alice', password: 'wrong-password-here' });
    expect(g.authorize(rq(wrong))).toEqual({ kind: 'refuse', reason: 'bad-credentials' });
    const unknown = authorization(g.authorize(rq(undefined)), {
      username: 'mallory',
      password: 'correct-horse-battery',
    });
    expect(g.authorize(rq(unknown))).toEqual({ kind: 'refuse', reason: 'unknown-user' });
  });

  it('uses a nonce once: a replayed answer gets a new challenge (stale)', () => {
    const g = gate(trunks);
    const auth = authorization(g.authorize(rq(undefined)), { username: 'alice', password: 'correct-horse-battery' });
    expect(g.authorize(rq(auth)).kind).toBe('accept');
    expect(g.authorize(rq(auth))).toMatchObject({ kind: 'challenge', params: { stale: 'true' } });
  });

  it('lets nonces expire', async () => {
    const g = gate(trunks, 20);
    const auth = authorization(g.authorize(rq(undefined)), { username: 'alice', password: 'correct-horse-battery' });
    await new Promise((r) => setTimeout(r, 40));
    expect(g.authorize(rq(auth))).toMatchObject({ kind: 'challenge', params: { stale: 'true' } });
  });

  it('refuses malformed Authorization headers without throwing', () => {
    const g = gate(trunks);
    for (const auth of [
      [{ scheme: 'Digest', realm: '"foyer"' }],
      [{ scheme: 'Digest', realm: '"foyer"', nonce: '"x"', uri: '"sip:a"', response: '"nothex"' }],
      [
        {
          scheme: 'Digest',
          realm: '"foyer"',
          nonce: '"x"',
          uri: '"sip:a"',
          response: `"${'a'.repeat(32)}"`,
          qop: 'auth',
        },
      ],
      'Digest garbage',
      [null, 5, 'x'],
      {},
    ]) {
      expect(['refuse', 'challenge']).toContain(g.authorize(rq(auth)).kind);
    }
  });

  it('needs both the address and the password when a trunk has both', () => {
    const g = gate([
      { name: 'both', sourceAddresses: ['192.0.2.0/24'], username: 'bob', password: 'another-long-secret' },
    ]);
    expect(g.authorize({ method: 'INVITE', source: '198.51.100.1', authorization: undefined })).toEqual({
      kind: 'refuse',
      reason: 'source-not-allowed',
    });
    const challenge = g.authorize(rq(undefined));
    expect(challenge.kind).toBe('challenge');
    const auth = authorization(challenge, { username: 'bob', password: 'another-long-secret' });
    expect(g.authorize(rq(auth))).toEqual({ kind: 'accept', trunk: 'both' });
  });
});
