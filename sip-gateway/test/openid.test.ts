// OpenID verification and homeserver discovery, without a network: pure parsing and address
// rules, and the verifier with a fake discovery standing in for a partner's homeserver.
import { describe, expect, it } from 'vitest';
import { AuthError, HomeserverOpenIdVerifier } from '../src/auth/openid.ts';
import { isPrivateAddress, parseServerName, ServerDiscovery } from '../src/auth/server-discovery.ts';

describe('server names and addresses', () => {
  it('parses host and port, IPv6 in brackets, and refuses junk', () => {
    expect(parseServerName('example.org')).toEqual({ host: 'example.org' });
    expect(parseServerName('example.org:8448')).toEqual({ host: 'example.org', port: 8448 });
    expect(parseServerName('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 });
    for (const bad of ['', 'exa mple.org', 'example.org:0', 'example.org:99999', 'a/b', '[nothex]', 'user@host'])
      expect(parseServerName(bad), bad).toBeUndefined();
  });

  it('knows private, loopback and link-local ranges, also IPv4-mapped', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '::1',
      'fd00::2',
      'fe80::1',
      '::ffff:10.0.0.1',
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['203.0.113.10', '8.8.8.8', '2001:db8::1', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it('uses an explicit port or IP literal as it is, and refuses private targets unless allowed', async () => {
    await expect(new ServerDiscovery({ allowPrivateAddresses: false }).resolve('127.0.0.1:8448')).rejects.toThrow(
      /private address/,
    );
    const allowed = new ServerDiscovery({ allowPrivateAddresses: true });
    expect(await allowed.resolve('127.0.0.1:28449')).toEqual({
      address: '127.0.0.1',
      port: 28449,
      tlsName: '127.0.0.1',
      hostHeader: '127.0.0.1:28449',
    });
    expect(await allowed.resolve('localhost:28448')).toMatchObject({ port: 28448, tlsName: 'localhost' });
    await expect(allowed.resolve('not a name')).rejects.toThrow(/not a server name/);
  });
});

describe('OpenID verification', () => {
  const partner = (answer: { status: number; body: string } | Error) => {
    const asked: string[] = [];
    const verifier = new HomeserverOpenIdVerifier({
      serverName: 'our.example',
      homeserverUrl: 'http://127.0.0.1:1',
      discovery: {
        resolve: async (name) => {
          asked.push(name);
          return { address: '203.0.113.5', port: 8448, tlsName: name, hostHeader: name };
        },
        get: async () => {
          if (answer instanceof Error) throw answer;
          return answer;
        },
      },
    });
    return { verifier, asked };
  };

  it('accepts a partner’s user confirmed by the partner’s homeserver', async () => {
    const { verifier, asked } = partner({ status: 200, body: JSON.stringify({ sub: '@bob:partner.example' }) });
    expect(await verifier.verify({ userId: '@bob:partner.example', serverName: 'partner.example', token: 't' })).toBe(
      '@bob:partner.example',
    );
    expect(asked).toEqual(['partner.example']);
  });

  it('refuses a token from another server than the user’s, an invalid token, and another user', async () => {
    const ok = partner({ status: 200, body: JSON.stringify({ sub: '@bob:partner.example' }) });
    await expect(
      ok.verifier.verify({ userId: '@bob:partner.example', serverName: 'our.example', token: 't' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(ok.asked).toEqual([]);
    const invalid = partner({ status: 401, body: '{}' });
    await expect(
      invalid.verifier.verify({ userId: '@bob:partner.example', serverName: 'partner.example', token: 't' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    const other = partner({ status: 200, body: JSON.stringify({ sub: '@eve:partner.example' }) });
    await expect(
      other.verifier.verify({ userId: '@bob:partner.example', serverName: 'partner.example', token: 't' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('without a claimed user, accepts the homeserver’s answer only for a user of that homeserver', async () => {
    const ok = partner({ status: 200, body: JSON.stringify({ sub: '@bob:partner.example' }) });
    expect(await ok.verifier.verify({ serverName: 'partner.example', token: 't' })).toBe('@bob:partner.example');
    // A malicious server vouching for a user of ours (or anyone else's) is not believed.
    const liar = partner({ status: 200, body: JSON.stringify({ sub: '@alice:our.example' }) });
    await expect(liar.verifier.verify({ serverName: 'partner.example', token: 't' })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('says "unavailable" when the partner cannot be reached or answers nonsense', async () => {
    const down = partner(new Error('connect ECONNREFUSED'));
    const err = await down.verifier
      .verify({ userId: '@bob:partner.example', serverName: 'partner.example', token: 't' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'unavailable' });
    const junk = partner({ status: 200, body: '<html>' });
    await expect(
      junk.verifier.verify({ userId: '@bob:partner.example', serverName: 'partner.example', token: 't' }),
    ).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
