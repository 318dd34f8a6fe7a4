import { describe, expect, it } from 'vitest';
import { parseRoute } from '../src/route.ts';

describe('parseRoute', () => {
  it('recognises the start page', () => {
    expect(parseRoute('/')).toEqual({ kind: 'start' });
    expect(parseRoute('/index.html')).toEqual({ kind: 'start' });
  });

  it('extracts the token of a join link', () => {
    expect(parseRoute('/join/abc123')).toEqual({ kind: 'join', token: 'abc123' });
    expect(parseRoute('/join/abc123/')).toEqual({ kind: 'join', token: 'abc123' });
    expect(parseRoute('/join/a%2Bb')).toEqual({ kind: 'join', token: 'a+b' });
  });

  it('treats malformed join links as unknown pages', () => {
    for (const path of ['/join', '/join/', '/join/a/b', '/join/%E0%A4%A', '/join/a%2Fb', '/join/%20']) {
      expect(parseRoute(path), path).toEqual({ kind: 'unknown', path });
    }
  });

  it('reports other paths as unknown', () => {
    expect(parseRoute('/groups/x')).toEqual({ kind: 'unknown', path: '/groups/x' });
    expect(parseRoute('/JOIN/abc')).toEqual({ kind: 'unknown', path: '/JOIN/abc' });
  });
});
