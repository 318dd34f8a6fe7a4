import { describe, expect, it } from 'vitest';
import { isConferenceRoute, parseRoute } from '../src/route.ts';

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

describe('parseRoute: the conference widget', () => {
  it('reads room, user, widget and language from the query', () => {
    const search = '?roomId=%21abc%3Aexample.org&userId=%40ann%3Aexample.org&widgetId=foyer_conf&lang=de';
    expect(parseRoute('/widget/conference', search)).toEqual({
      kind: 'widget',
      roomId: '!abc:example.org',
      userId: '@ann:example.org',
      widgetId: 'foyer_conf',
      lang: 'de',
    });
    expect(parseRoute('/widget/conference/', search).kind).toBe('widget');
  });

  it('takes the base of a language tag and ignores languages we do not have', () => {
    const route = (lang: string) => parseRoute('/widget/conference', `?lang=${lang}`);
    expect(route('de-AT')).toMatchObject({ lang: 'de' });
    expect(route('EN_gb')).toMatchObject({ lang: 'en' });
    expect(route('fr')).toMatchObject({ lang: null });
    expect(parseRoute('/widget/conference')).toMatchObject({ lang: null });
  });

  it('leaves out parameters the client did not fill in', () => {
    expect(parseRoute('/widget/conference', '?roomId=$matrix_room_id&userId=&widgetId=%20')).toEqual({
      kind: 'widget',
      roomId: null,
      userId: null,
      widgetId: null,
      lang: null,
    });
  });

  it('only matches the widget path itself', () => {
    expect(parseRoute('/widget/other', '?roomId=!a:b')).toEqual({ kind: 'unknown', path: '/widget/other' });
    expect(parseRoute('/widget/conference/x')).toEqual({ kind: 'unknown', path: '/widget/conference/x' });
  });

  it('tells conference routes apart', () => {
    expect(isConferenceRoute(parseRoute('/join/abc'))).toBe(true);
    expect(isConferenceRoute(parseRoute('/widget/conference'))).toBe(true);
    expect(isConferenceRoute(parseRoute('/'))).toBe(false);
  });
});
