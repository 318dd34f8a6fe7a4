// Chat HTML, made safe by allow-list: the browser parses it (DOMParser, an inert document: no
// scripts run, nothing loads), and this walks the tree and keeps only what is listed below, as
// plain data. The page renders that data with Svelte elements, never as an HTML string, so
// nothing the sender wrote can become markup we did not choose.
// Works on anything shaped like DOM nodes (no DOM types here; the unit tests use plain objects).

export const formattingTags = ['b', 'i', 'em', 'strong', 'code', 'pre', 'p', 'ul', 'ol', 'li', 'blockquote'] as const;
export type FormattingTag = (typeof formattingTags)[number];

export type SafeNode =
  | { kind: 'text'; text: string }
  | { kind: 'br' }
  | { kind: 'element'; tag: FormattingTag; children: SafeNode[] }
  /** Rendered as <a href rel="noopener noreferrer" target="_blank">. */
  | { kind: 'link'; href: string; children: SafeNode[] };

/** The parts of a DOM Node the sanitiser reads. */
export interface HtmlNodeLike {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly childNodes: ArrayLike<HtmlNodeLike>;
  getAttribute?(name: string): string | null;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const MAX_DEPTH = 24;
const MAX_NODES = 4000;
const linkProtocols = new Set(['http:', 'https:', 'mailto:']);
const formatting = new Set<string>(formattingTags);
/** Elements dropped together with everything inside them (the rest keep their content). */
const dropped = new Set([
  'script',
  'style',
  'template',
  'iframe',
  'frame',
  'object',
  'embed',
  'noscript',
  'noembed',
  'noframes',
  'textarea',
  'select',
  'title',
  'head',
  'svg',
  'math',
  'xmp',
  'audio',
  'video',
  'canvas',
  // Matrix reply fallbacks repeat the quoted message.
  'mx-reply',
]);

function isFormattingTag(name: string): name is FormattingTag {
  return formatting.has(name);
}

/** An absolute http(s) or mailto URL, normalised; null for anything else (javascript:, relative…). */
export function safeHref(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw.trim());
    return linkProtocols.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** The allowed content of `root`'s children. */
export function sanitizeNodes(root: HtmlNodeLike): SafeNode[] {
  const budget = { nodes: MAX_NODES };
  return children(root, 0, budget);
}

function children(parent: HtmlNodeLike, depth: number, budget: { nodes: number }): SafeNode[] {
  const out: SafeNode[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const child = parent.childNodes[i];
    if (!child || budget.nodes <= 0) break;
    budget.nodes--;
    out.push(...convert(child, depth, budget));
  }
  return out;
}

function convert(node: HtmlNodeLike, depth: number, budget: { nodes: number }): SafeNode[] {
  if (node.nodeType === TEXT_NODE) return node.nodeValue ? [{ kind: 'text', text: node.nodeValue }] : [];
  if (node.nodeType !== ELEMENT_NODE) return []; // comments, processing instructions…
  const name = node.nodeName.toLowerCase();
  if (dropped.has(name)) return [];
  if (name === 'br') return [{ kind: 'br' }];
  // Too deep to be real formatting: keep the words only.
  if (depth >= MAX_DEPTH) return [{ kind: 'text', text: textOf(node) }];
  const inner = children(node, depth + 1, budget);
  if (name === 'a') {
    const href = safeHref(node.getAttribute?.('href'));
    return href ? [{ kind: 'link', href, children: inner }] : inner;
  }
  if (isFormattingTag(name)) return [{ kind: 'element', tag: name, children: inner }];
  // Anything else (span, div, img, font, …) is unwrapped: its content stays, it does not.
  return inner;
}

function textOf(node: HtmlNodeLike): string {
  if (node.nodeType === TEXT_NODE) return node.nodeValue ?? '';
  if (node.nodeType !== ELEMENT_NODE || dropped.has(node.nodeName.toLowerCase())) return '';
  let text = '';
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i];
    if (child) text += textOf(child);
  }
  return text;
}

/** Whether the sanitised content shows anything (else the page shows the plain body). */
export function hasVisibleContent(nodes: readonly SafeNode[]): boolean {
  return nodes.some((n) =>
    n.kind === 'text' ? n.text.trim() !== '' : n.kind === 'br' ? false : hasVisibleContent(n.children),
  );
}
