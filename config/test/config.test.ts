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

  it('runs conferences on LiveKit when it is configured, on Janus otherwise, unless told', () => {
    const livekit = { url: 'ws://127.0.0.1:7880', apiKey: 'foyer', apiSecret: 'x'.repeat(40) };
    const plane = (gateway: Record<string, unknown>) => {
      const data = sample();
      data.gateway = { ...data.gateway, ...gateway };
      return parseConfig(data, '/etc/foyer/foyer.yaml').config.gateway.media.plane;
    };
    expect(plane({ media: {} })).toBe('janus');
    expect(plane({ media: {}, livekit })).toBe('livekit');
    expect(plane({ media: { plane: 'janus' }, livekit })).toBe('janus');
    expect(errorOf({ ...sample(), gateway: { ...sample().gateway, media: { plane: 'livekit' } } })).toContain(
      'gateway.livekit: required when gateway.media.plane is livekit',
    );
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
