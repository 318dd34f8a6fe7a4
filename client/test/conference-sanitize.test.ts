// The chat HTML allow-list. The browser parses the HTML (DOMParser); these tests hand the
// sanitiser node trees built by hand, shaped like the DOM's.
import { describe, expect, it } from 'vitest';
import { hasVisibleContent, safeHref, sanitizeNodes, type HtmlNodeLike } from '../src/conference/sanitize.ts';

function el(name: string, attrs: Record<string, string>, ...children: HtmlNodeLike[]): HtmlNodeLike {
  return {
    nodeType: 1,
    nodeName: name.toUpperCase(),
    nodeValue: null,
    childNodes: children,
    getAttribute: (attr) => attrs[attr] ?? null,
  };
}
const text = (value: string): HtmlNodeLike => ({ nodeType: 3, nodeName: '#text', nodeValue: value, childNodes: [] });
const comment = (value: string): HtmlNodeLike => ({
  nodeType: 8,
  nodeName: '#comment',
  nodeValue: value,
  childNodes: [],
});
const body = (...children: HtmlNodeLike[]) => el('body', {}, ...children);

describe('sanitizeNodes', () => {
  it('keeps the allowed formatting', () => {
    const tree = body(el('p', {}, text('Hi '), el('b', {}, text('there')), el('br', {}), el('em', {}, text('!'))));
    expect(sanitizeNodes(tree)).toEqual([
      {
        kind: 'element',
        tag: 'p',
        children: [
          { kind: 'text', text: 'Hi ' },
          { kind: 'element', tag: 'b', children: [{ kind: 'text', text: 'there' }] },
          { kind: 'br' },
          { kind: 'element', tag: 'em', children: [{ kind: 'text', text: '!' }] },
        ],
      },
    ]);
  });

  it('keeps lists, quotes and code', () => {
    const tree = body(
      el('ul', {}, el('li', {}, text('a'))),
      el('ol', {}, el('li', {}, text('b'))),
      el('blockquote', {}, el('pre', {}, el('code', {}, text('x = 1')))),
      el('strong', {}, el('i', {}, text('y'))),
    );
    const tags = (nodes: ReturnType<typeof sanitizeNodes>): string[] =>
      nodes.flatMap((n) => (n.kind === 'element' ? [n.tag, ...tags(n.children)] : []));
    expect(tags(sanitizeNodes(tree))).toEqual(['ul', 'li', 'ol', 'li', 'blockquote', 'pre', 'code', 'strong', 'i']);
  });

  it('drops scripts, styles and similar with their content', () => {
    const tree = body(
      el('script', {}, text('alert(1)')),
      el('style', {}, text('body{}')),
      el('iframe', { src: 'https://evil.example' }, text('x')),
      el('svg', {}, el('a', { href: 'https://x.example' }, text('svg link'))),
      el('mx-reply', {}, text('quoted')),
      comment('secret'),
      text('visible'),
    );
    expect(sanitizeNodes(tree)).toEqual([{ kind: 'text', text: 'visible' }]);
  });

  it('unwraps other elements and never keeps attributes', () => {
    const tree = body(
      el('div', { onclick: 'alert(1)', style: 'color:red' }, el('span', {}, text('inner'))),
      el('img', { src: 'https://x.example/a.png', onerror: 'alert(1)' }),
      el('b', { onmouseover: 'alert(1)', class: 'x' }, text('bold')),
    );
    expect(sanitizeNodes(tree)).toEqual([
      { kind: 'text', text: 'inner' },
      { kind: 'element', tag: 'b', children: [{ kind: 'text', text: 'bold' }] },
    ]);
  });

  it('keeps links only to http, https and mailto', () => {
    const link = (href: string) => sanitizeNodes(body(el('a', { href }, text('l'))));
    expect(link('https://example.org/a?b=c')).toEqual([
      { kind: 'link', href: 'https://example.org/a?b=c', children: [{ kind: 'text', text: 'l' }] },
    ]);
    expect(link('mailto:ann@example.org')[0]).toMatchObject({ kind: 'link', href: 'mailto:ann@example.org' });
    for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,x', '/relative', 'vbscript:x']) {
      expect(link(bad), bad).toEqual([{ kind: 'text', text: 'l' }]);
    }
    expect(sanitizeNodes(body(el('a', {}, text('no href'))))).toEqual([{ kind: 'text', text: 'no href' }]);
  });

  it('flattens absurdly deep nesting to text', () => {
    let node = text('deep');
    for (let i = 0; i < 100; i++) node = el('b', {}, node);
    const flat = JSON.stringify(sanitizeNodes(body(node)));
    expect(flat).toContain('"deep"');
    expect(flat.split('"tag":"b"').length - 1).toBeLessThanOrEqual(24);
  });
});

describe('safeHref and hasVisibleContent', () => {
  it('normalises good URLs and rejects the rest', () => {
    expect(safeHref('https://example.org')).toBe('https://example.org/');
    expect(safeHref(null)).toBeNull();
    expect(safeHref('ftp://example.org')).toBeNull();
  });

  it('tells empty results from visible ones', () => {
    expect(hasVisibleContent([])).toBe(false);
    expect(hasVisibleContent([{ kind: 'br' }, { kind: 'text', text: '  ' }])).toBe(false);
    expect(hasVisibleContent([{ kind: 'element', tag: 'p', children: [{ kind: 'text', text: 'x' }] }])).toBe(true);
  });
});
