import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, generateRegistration, parseConfig, registrationSchema, validate } from '../src/index.ts';

const sampleFile = join(import.meta.dirname, '..', 'foyer.sample.yaml');
const sample = () => parse(readFileSync(sampleFile, 'utf8')) as Record<string, Record<string, unknown>>;

function errorOf(data: unknown): string {
  try {
    parseConfig(data, '/etc/foyer/foyer.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config schema', () => {
  it('accepts the commented sample and fills defaults, resolving paths against the file', () => {
    const { config } = parseConfig(sample(), '/etc/foyer/foyer.yaml');
    expect(config.appservice.botLocalpart).toBe('foyer');
    expect(config.appservice.registration).toBe('/etc/registration/foyer-registration.yaml');
    expect(config.gateway.sip.transports).toEqual(['udp', 'tcp']);
    expect(config.gateway.livekit.url).toBe('ws://127.0.0.1:7880');
  });

  it('names an unknown key in one line', () => {
    const data = sample();
    (data.bridge as Record<string, unknown>).deleteEmptyGroup = true;
    const msg = errorOf(data);
    expect(msg).toBe('/etc/foyer/foyer.yaml: bridge: unknown key "deleteEmptyGroup"');
    expect(msg).not.toContain('\n');
  });

  it('names a key of the wrong type and what was expected', () => {
    const data = sample();
    (data.gateway as { sip: Record<string, unknown> }).sip.port = '5060';
    expect(errorOf(data)).toMatch(/^\/etc\/foyer\/foyer\.yaml: gateway\.sip\.port: .*expected number/);
  });

  it('refuses a missing or too short secret', () => {
    const data = sample();
    data.internalApi = {};
    expect(errorOf(data)).toContain('internalApi.secret: required: a random secret of at least 32 characters');
    data.internalApi = { secret: 'short' };
    expect(errorOf(data)).toContain('internalApi.secret: too short');
  });

  it('explains a database section of neither kind', () => {
    const data = sample();
    (data.bridge as Record<string, unknown>).database = { kind: 'mysql' };
    expect(errorOf(data)).toContain(
      'bridge.database.kind: expected kind "postgres" (with url) or "pglite" (with dataDir)',
    );
  });

  it('refuses fixed-room staff of another server, naming the entry', () => {
    const data = sample();
    (data.bridge as Record<string, unknown>).fixedRooms = { invite: ['@anna:example.org', '@eve:elsewhere.org'] };
    expect(errorOf(data)).toBe(
      '/etc/foyer/foyer.yaml: bridge.fixedRooms.invite.1: @eve:elsewhere.org is not a user of example.org (only staff can be invited)',
    );
    (data.bridge as Record<string, unknown>).fixedRooms = { invite: ['anna'] };
    expect(errorOf(data)).toContain('bridge.fixedRooms.invite.0: expected a Matrix user ID');
  });

  it('needs the livekit section, and says why', () => {
    const data = sample();
    delete (data.gateway as Record<string, unknown>).livekit;
    expect(errorOf(data)).toBe(
      '/etc/foyer/foyer.yaml: gateway.livekit: required: LiveKit is the media plane (url, apiKey, apiSecret; docs/media.md)',
    );
  });

  describe('keys of the retired Janus plane are refused with what to do, not as unknown keys', () => {
    const retired = 'Janus was retired; LiveKit is the media plane (docs/media.md)';
    it('gateway.janus', () => {
      const data = sample();
      const janus = { url: 'ws://127.0.0.1:8188', apiSecret: 'x'.repeat(40), roomAdminKey: 'y'.repeat(40) };
      data.gateway = { ...data.gateway, janus };
      expect(errorOf(data)).toBe(`/etc/foyer/foyer.yaml: gateway.janus: ${retired}; remove this section`);
    });

    it('gateway.media', () => {
      for (const media of [{ plane: 'janus' }, { plane: 'livekit' }, {}]) {
        const data = sample();
        data.gateway = { ...data.gateway, media };
        expect(errorOf(data)).toBe(
          `/etc/foyer/foyer.yaml: gateway.media: ${retired}, the only one: remove this section`,
        );
      }
    });

    it('gateway.rtp.janusAddress', () => {
      const data = sample();
      const gateway = data.gateway as { rtp: Record<string, unknown> };
      gateway.rtp = { ...gateway.rtp, janusAddress: 'sip-gateway' };
      expect(errorOf(data)).toBe(
        `/etc/foyer/foyer.yaml: gateway.rtp.janusAddress: ${retired}; the media agent reaches the relay at rtp.bind (127.0.0.1 when that is 0.0.0.0): remove this key`,
      );
    });

    it('gateway.conference.turn (LiveKit hands pages its TURN servers)', () => {
      const data = sample();
      const gateway = data.gateway as { conference?: Record<string, unknown> };
      gateway.conference = { ...gateway.conference, turn: { uris: ['turn:turn.example:3478'], sharedSecret: 'x' } };
      expect(errorOf(data)).toBe(
        "/etc/foyer/foyer.yaml: gateway.conference.turn: pages get their TURN servers from LiveKit since Janus was retired (LiveKit's rtc.turn_servers, docs/media.md): remove this key",
      );
    });

    it('a config from before, with janus and without livekit, names the retirement first', () => {
      const data = sample();
      const gateway = data.gateway as Record<string, unknown>;
      delete gateway.livekit;
      gateway.janus = { url: 'ws://127.0.0.1:8188' };
      expect(errorOf(data)).toBe(`/etc/foyer/foyer.yaml: gateway.janus: ${retired}; remove this section (and 1 more)`);
    });
  });

  it('counts further problems without listing them all', () => {
    const data = sample();
    delete data.web;
    delete data.homeserver;
    expect(errorOf(data)).toMatch(/\(and 1 more\)$/);
  });
});

describe('appservice registration', () => {
  it('has fresh CSPRNG tokens, the exclusive namespaces of the brief and no rate limit', () => {
    const a = generateRegistration({ url: 'http://127.0.0.1:9000' });
    const b = generateRegistration({ url: 'http://127.0.0.1:9000' });
    expect(a.as_token).not.toBe(b.as_token);
    expect(a.hs_token).not.toBe(a.as_token);
    expect(Buffer.from(a.as_token, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(a.rate_limited).toBe(false);
    expect(a.receive_ephemeral).toBe(true);
    expect(validate(registrationSchema, a, 'reg')).toBeTruthy();
    const users = a.namespaces.users.map((u) => u.regex);
    const matches = (id: string) => users.some((r) => new RegExp(`^${r}$`).test(id));
    for (const id of ['@foyer:example.org', '@foyer_guest_ab12:example.org', '@foyer_phone_7:example.org'])
      expect(matches(id)).toBe(true);
    expect(matches('@alice:example.org')).toBe(false);
    expect(a.namespaces.users.every((u) => u.exclusive)).toBe(true);
  });
});
