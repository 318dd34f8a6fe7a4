import { describe, expect, it } from 'vitest';
import { MAX_RELAYED_CHARS, sanitizeFormatted, toChatMessage } from '../src/chat/relay.ts';
import type { RoomEvent } from '../src/appservice/events.ts';

const ev = (content: Record<string, unknown>): RoomEvent => ({
  type: 'm.room.message',
  event_id: '$e1',
  room_id: '!r',
  sender: '@anna:example.org',
  origin_server_ts: 42,
  content,
});

describe('room chat for web guests', () => {
  it('keeps safe formatting and removes everything else', () => {
    const html = sanitizeFormatted(
      '<b>fett</b><script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>' +
        '<a href="https://example.org" onclick="x()">ok</a><mx-reply><blockquote>quoted</blockquote></mx-reply><iframe src="https://evil"></iframe>',
    );
    expect(html).toContain('<b>fett</b>');
    expect(html).not.toMatch(/script|onerror|onclick|javascript|iframe|<img|quoted/);
    expect(html).toContain('<a href="https://example.org" rel="noopener noreferrer nofollow" target="_blank">ok</a>');
  });

  it('relays plain and formatted messages with the sender', () => {
    expect(toChatMessage(ev({ msgtype: 'm.text', body: 'Hallo' }), 'Anna', 'staff')).toEqual({
      eventId: '$e1',
      sender: '@anna:example.org',
      senderName: 'Anna',
      senderKind: 'staff',
      msgtype: 'm.text',
      body: 'Hallo',
      ts: 42,
    });
    const f = toChatMessage(
      ev({ msgtype: 'm.text', body: '*x*', format: 'org.matrix.custom.html', formatted_body: '<em>x</em>' }),
      'Anna',
      'staff',
    );
    expect(f?.html).toBe('<em>x</em>');
  });

  it('relays an edit as a replacement of the original', () => {
    const m = toChatMessage(
      ev({
        msgtype: 'm.text',
        body: '* neu',
        'm.new_content': { msgtype: 'm.text', body: 'neu' },
        'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
      }),
      'Anna',
      'staff',
    );
    expect(m).toMatchObject({ body: 'neu', replaces: '$orig' });
  });

  it('cuts oversized text visibly instead of dropping it, and ignores non-messages', () => {
    const m = toChatMessage(ev({ msgtype: 'm.text', body: 'a'.repeat(MAX_RELAYED_CHARS + 100) }), 'Anna', 'staff');
    expect(m?.body.length).toBe(MAX_RELAYED_CHARS + 4);
    expect(m?.body.endsWith(' […]')).toBe(true);
    expect(toChatMessage(ev({ body: 42 }), 'Anna', 'staff')).toBeUndefined();
  });
});
