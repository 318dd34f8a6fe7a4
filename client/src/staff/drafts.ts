// Unsent messages, one per room, kept in room account data (`org.foyer.draft`, `{body}`), so a
// draft survives closing the chat, a reload, and moving to another device.

export const DRAFT_TYPE = 'org.foyer.draft';

export interface DraftContent {
  body: string;
}

/** The draft stored in a room's account data content ('' for none or for anything malformed). */
export function storedDraft(content: unknown): string {
  if (typeof content !== 'object' || content === null) return '';
  const body = (content as { body?: unknown }).body;
  return typeof body === 'string' ? body : '';
}

/**
 * What to write when the text box holds `text` and the server has `stored`: null when nothing
 * needs writing. A draft of only white space counts as none.
 */
export function draftUpdate(text: string, stored: string): DraftContent | null {
  const body = text.trim() === '' ? '' : text;
  return body === stored ? null : { body };
}
