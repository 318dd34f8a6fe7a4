// SDP offers and answers, caller IDs and INFO digits: the parsing the SIP layer does on
// untrusted input.
import { describe, expect, it } from 'vitest';
import { infoDigit } from '../src/sip/dialog.ts';
import { displayNameOf, reasonPhrase, userOf } from '../src/sip/message.ts';
import { answerDirection, buildAnswer, parseOffer, sdpFromBody, type ParsedOffer } from '../src/sip/sdp.ts';
import type { AudioOffer } from '../src/sip/types.ts';

const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';

function offerOf(text: string): ParsedOffer {
  const parsed = parseOffer(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

describe('parseOffer', () => {
  it('reads a typical offer', () => {
    const { offer } = offerOf(
      sdp(
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 4000 RTP/AVP 9 8 0 101',
        'a=rtpmap:9 G722/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:30',
        'a=sendrecv',
      ),
    );
    expect(offer).toEqual({
      address: '192.0.2.1',
      port: 4000,
      payloadTypes: [9, 8, 0, 101],
      g711: [8, 0],
      telephoneEvent: 101,
      direction: 'sendrecv',
      ptime: 30,
    });
  });

  it('takes media-level c= and direction over session-level ones, and LF line ends', () => {
    const { offer } = offerOf(
      [
        'v=0',
        'c=IN IP4 192.0.2.1',
        'a=sendonly',
        't=0 0',
        'm=audio 4000 RTP/AVP 0',
        'c=IN IP4 198.51.100.7/127',
        'a=inactive',
      ].join('\n'),
    );
    expect(offer).toMatchObject({ address: '198.51.100.7', direction: 'inactive', g711: [0] });
  });

  it('uses session-level direction when the media has none', () => {
    expect(offerOf(sdp('v=0', 'c=IN IP4 192.0.2.1', 'a=sendonly', 'm=audio 4000 RTP/AVP 8')).offer.direction).toBe(
      'sendonly',
    );
  });

  it('skips disabled and non-RTP/AVP streams and answers them with port 0', () => {
    const parsed = offerOf(
      sdp(
        'v=0',
        'c=IN IP4 192.0.2.1',
        'm=audio 0 RTP/AVP 0',
        'm=video 5000 RTP/AVP 96',
        'm=audio 4002 RTP/SAVP 0',
        'm=audio 4004 RTP/AVP 0',
      ),
    );
    expect(parsed.audioIndex).toBe(3);
    expect(parsed.offer.port).toBe(4004);
    const answer = buildAnswer({
      address: '203.0.113.5',
      port: 40000,
      payloadType: 0,
      direction: 'sendrecv',
      sessionId: '7',
      sessionVersion: 1,
      mediaLines: parsed.mediaLines,
      audioIndex: parsed.audioIndex,
    });
    expect(answer.match(/^m=.*$/gm)).toEqual([
      'm=audio 0 RTP/AVP 0',
      'm=video 0 RTP/AVP 96',
      'm=audio 0 RTP/SAVP 0',
      'm=audio 40000 RTP/AVP 0',
    ]);
  });

  it('ignores a static payload type that an rtpmap redefines', () => {
    const r = parseOffer(sdp('v=0', 'c=IN IP4 192.0.2.1', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 opus/48000/2'));
    expect(r).toEqual({ error: 'neither PCMU nor PCMA offered' });
  });

  it.each([
    ['only G.729', sdp('v=0', 'c=IN IP4 192.0.2.1', 'm=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000')],
    ['no audio', sdp('v=0', 'c=IN IP4 192.0.2.1', 'm=video 4000 RTP/AVP 96')],
    ['no connection address', sdp('v=0', 'm=audio 4000 RTP/AVP 0')],
    ['a bad address', sdp('v=0', 'c=IN IP4 999.1.1.1', 'm=audio 4000 RTP/AVP 0')],
    ['IP6 label with an IPv4 address', sdp('v=0', 'c=IN IP6 192.0.2.1', 'm=audio 4000 RTP/AVP 0')],
    ['a port out of range', sdp('v=0', 'c=IN IP4 192.0.2.1', 'm=audio 70000 RTP/AVP 0')],
    ['garbage', 'hello world'],
    ['too large', 'v=0\r\n' + 'a=x\r\n'.repeat(10_000)],
  ])('refuses %s', (_name, text) => {
    expect('error' in parseOffer(text)).toBe(true);
  });
});

describe('answerDirection', () => {
  const offer = (direction: AudioOffer['direction'], address = '192.0.2.1'): AudioOffer => ({
    address,
    port: 4000,
    payloadTypes: [0],
    g711: [0],
    direction,
  });
  it.each([
    ['sendrecv', 'sendrecv'],
    ['sendonly', 'recvonly'],
    ['recvonly', 'sendonly'],
    ['inactive', 'inactive'],
  ] as const)('%s → %s', (from, to) => {
    expect(answerDirection(offer(from))).toBe(to);
  });
  it('treats c=0.0.0.0 as hold', () => {
    expect(answerDirection(offer('sendrecv', '0.0.0.0'))).toBe('recvonly');
    expect(answerDirection(offer('recvonly', '0.0.0.0'))).toBe('inactive');
  });
});

describe('buildAnswer', () => {
  it('writes one codec, telephone-event, ptime and direction in ASCII with CRLF', () => {
    const text = buildAnswer({
      address: '203.0.113.5',
      port: 40000,
      payloadType: 8,
      telephoneEvent: 101,
      direction: 'recvonly',
      sessionId: '42',
      sessionVersion: 3,
      mediaLines: [{ media: 'audio', proto: 'RTP/AVP', fmt: '8' }],
      audioIndex: 0,
    });
    expect(text).toBe(
      sdp(
        'v=0',
        'o=foyer 42 3 IN IP4 203.0.113.5',
        's=Foyer',
        'c=IN IP4 203.0.113.5',
        't=0 0',
        'm=audio 40000 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=recvonly',
      ),
    );
    expect(/^[\x20-\x7e\r\n]*$/.test(text)).toBe(true);
  });
});

describe('sdpFromBody', () => {
  it('takes application/sdp as it is', () => {
    expect(sdpFromBody('application/SDP; charset=x', 'v=0\r\n')).toBe('v=0\r\n');
  });
  it('finds the SDP part of multipart/mixed (SIP-I)', () => {
    const body = [
      '--b1',
      'Content-Type: application/sdp',
      '',
      'v=0',
      'm=audio 1 RTP/AVP 0',
      '--b1',
      'Content-Type: application/isup; version=itu-t92+',
      '',
      'xyz',
      '--b1--',
      '',
    ].join('\r\n');
    expect(sdpFromBody('multipart/mixed;boundary=b1', body)).toBe('v=0\r\nm=audio 1 RTP/AVP 0');
  });
  it('gives null for other types and missing bodies', () => {
    expect(sdpFromBody('text/plain', 'v=0')).toBeNull();
    expect(sdpFromBody(null, 'v=0')).toBeNull();
    expect(sdpFromBody('application/sdp', '')).toBeNull();
    expect(sdpFromBody('multipart/mixed', 'x')).toBeNull();
  });
});

describe('caller identity', () => {
  it.each([
    ['sip:+4930123456@carrier.example', '+4930123456'],
    ['sip:%2B49%2030@carrier.example;user=phone', '+49 30'],
    ['sip:+4930123;phone-context=example@host', '+4930123'],
    ['tel:+4930123456;verstat=TN-Validation-Passed', '+4930123456'],
    ['sips:alice@example.org', 'alice'],
    ['sip:anonymous@anonymous.invalid', null],
    ['sip:Anonymous@carrier.example', null],
    ['sip:restricted@carrier.example', null],
    ['sip:carrier.example', null],
    ['mailto:x@y', null],
    ['sip:j%C3%BCrgen@example.org', 'jürgen'],
    ['sip:a%00b@example.org', 'ab'],
  ])('user of %s is %s', (uri, user) => {
    expect(userOf(uri)).toBe(user);
  });

  it('reads display names: quotes, escapes, UTF-8, control characters', () => {
    expect(displayNameOf('"Alice \\"A\\" Caller"')).toBe('Alice "A" Caller');
    expect(displayNameOf('Bob')).toBe('Bob');
    expect(displayNameOf(Buffer.from('"Jürgen"', 'utf8').toString('latin1'))).toBe('Jürgen');
    expect(displayNameOf('"a\x07b"')).toBe('ab');
    expect(displayNameOf('""')).toBeNull();
    expect(displayNameOf(undefined)).toBeNull();
  });

  it('keeps reason phrases to printable ASCII', () => {
    expect(reasonPhrase(486, 'Busy\r\nX-Injected: 1')).toBe('BusyX-Injected: 1');
    expect(reasonPhrase(486)).toBe('Busy Here');
    expect(reasonPhrase(599, 'ümlaut')).toBe('mlaut');
  });
});

describe('infoDigit', () => {
  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', '5'],
    ['application/dtmf-relay', 'Signal= *\r\nDuration=160', '*'],
    ['application/dtmf-relay', 'signal=#', '#'],
    ['application/dtmf-relay', 'Signal=11', '#'],
    ['application/dtmf-relay', 'Signal=d', 'D'],
    ['application/dtmf-relay', 'Duration=160', null],
    ['application/dtmf-relay', 'Signal=X', 'bad'],
    ['application/dtmf', '7', '7'],
    ['application/dtmf', '10', '*'],
    ['text/plain', '5', 'bad'],
  ])('%s %j → %s', (type, body, digit) => {
    expect(infoDigit(type, body)).toBe(digit);
  });
});
