// Parses chat HTML in an inert document and returns its allow-listed content (see sanitize.ts).
import { hasVisibleContent, sanitizeNodes, type SafeNode } from './sanitize.ts';

/** The safe content of `html`, or null when nothing visible is left (show the plain body then). */
export function chatHtml(html: string): SafeNode[] | null {
  const document = new DOMParser().parseFromString(html, 'text/html');
  const nodes = sanitizeNodes(document.body);
  return hasVisibleContent(nodes) ? nodes : null;
}
