// Room chat → web guests: the parts of a room message a guest's page shows, with formatted
// bodies reduced to a safe allow-list of HTML, and edits and redactions carried along.
import sanitizeHtml from 'sanitize-html';
import { z } from 'zod';
import type { ChatMessage } from '@foyer/common';
import type { RoomEvent } from '../appservice/events.ts';
import type { MemberKind } from '../groups/identity.ts';

/** Longest text relayed to a guest; longer messages are cut with a visible mark, not dropped. */
export const MAX_RELAYED_CHARS = 8000;

const messageContentSchema = z.looseObject({
  msgtype: z.string(),
  body: z.string(),
  format: z.string().optional(),
  formatted_body: z.string().optional(),
  'm.relates_to': z.looseObject({ rel_type: z.string().optional(), event_id: z.string().optional() }).optional(),
  'm.new_content': z
    .looseObject({
      msgtype: z.string(),
      body: z.string(),
      format: z.string().optional(),
      formatted_body: z.string().optional(),
    })
    .optional(),
});

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'b',
    'strong',
    'i',
    'em',
    'u',
    's',
    'del',
    'code',
    'pre',
    'blockquote',
    'p',
    'br',
    'ul',
    'ol',
    'li',
    'a',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'span',
    'sup',
    'sub',
    'hr',
  ],
  // rel and target are set by the transform below, whatever the sender wrote.
  allowedAttributes: { a: ['href', 'rel', 'target'], ol: ['start'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  disallowedTagsMode: 'discard',
  // Replies quote the original in <mx-reply>; the guest sees the answer only.
  exclusiveFilter: (frame) => frame.tag === 'mx-reply',
  nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript', 'mx-reply'],
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
};

export function sanitizeFormatted(html: string): string {
  return sanitizeHtml(html.slice(0, 4 * MAX_RELAYED_CHARS), SANITIZE);
}

function bound(text: string): string {
  return text.length > MAX_RELAYED_CHARS ? `${text.slice(0, MAX_RELAYED_CHARS)} […]` : text;
}

/** A room message as web guests receive it, or undefined when it is not a displayable message. */
export function toChatMessage(event: RoomEvent, senderName: string, senderKind: MemberKind): ChatMessage | undefined {
  const parsed = messageContentSchema.safeParse(event.content);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  const isEdit = c['m.relates_to']?.rel_type === 'm.replace' && c['m.new_content'] && c['m.relates_to']?.event_id;
  const shown = isEdit && c['m.new_content'] ? c['m.new_content'] : c;
  const html =
    shown.format === 'org.matrix.custom.html' && shown.formatted_body
      ? sanitizeFormatted(shown.formatted_body)
      : undefined;
  return {
    eventId: event.event_id,
    sender: event.sender,
    senderName,
    senderKind,
    msgtype: shown.msgtype,
    body: bound(shown.body),
    ...(html ? { html } : {}),
    ts: event.origin_server_ts,
    ...(isEdit ? { replaces: c['m.relates_to']?.event_id } : {}),
  };
}
