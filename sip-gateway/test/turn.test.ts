// TURN credentials for browsers: coturn's use-auth-secret scheme, checked against an HMAC made here.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnServers } from '../src/conference/turn.ts';

describe('TURN credentials', () => {
  it('are none without TURN, and coturn’s use-auth-secret scheme with it', () => {
    expect(turnServers(undefined, 'x')).toEqual([]);
    const [server] = turnServers(
      { uris: ['turn:turn.example:3478'], sharedSecret: 's'.repeat(32), ttlSeconds: 3600 },
      'ab',
      1_000_000,
    );
    expect(server?.username).toBe('4600:ab');
    expect(server?.credential).toBe(createHmac('sha1', 's'.repeat(32)).update('4600:ab').digest('base64'));
    expect(server?.urls).toEqual(['turn:turn.example:3478']);
  });
});
