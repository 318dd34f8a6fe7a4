// Headless Chromium (Debian's) for end-to-end tests, driven by playwright-core: fake camera and
// microphone (a sine tone, or speech from espeak-ng, from a WAV file), a fresh profile each time,
// screenshots kept under .tools/reports/screenshots for people to look at after a run.
// Note: the page's microphone has noise suppression on, which fades a steady tone within
// seconds; speech passes, so a voice is what tests listen for at the other end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type FrameLocator, type Page } from 'playwright-core';
import { ROOT } from './stack.ts';

export const SCREENSHOTS = join(ROOT, '.tools', 'reports', 'screenshots');

export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  /** Console lines of the page (for failure messages). */
  console: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export type FakeMicrophone = { toneHz: number } | { speech: string };

/** A 48 kHz mono WAV for the fake microphone, made with sox and espeak-ng (installed by scripts/setup). */
function microphoneFile(dir: string, mic: FakeMicrophone): string {
  const file = join(dir, 'microphone.wav');
  const out = ['-r', '48000', '-c', '1', '-b', '16', file];
  if ('toneHz' in mic) {
    execFileSync('sox', ['-n', ...out, 'synth', '30', 'sine', String(mic.toneHz), 'vol', '0.5']);
  } else {
    const raw = join(dir, 'speech.wav');
    execFileSync('espeak-ng', ['-v', 'de', '-s', '150', '-w', raw, mic.speech]);
    // Chromium loops the file: the sentence again and again, with short breaths in between.
    execFileSync('sox', [raw, ...out, 'pad', '0', '0.3', 'repeat', '20']);
  }
  return file;
}

export async function openBrowser(o: {
  name: string;
  microphone: FakeMicrophone;
  lang?: string;
}): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), `chromium-${o.name}-`));
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${microphoneFile(dir, o.microphone)}`,
      // The widget host (a stand-in for Element) frames our loopback web server.
      '--disable-features=LocalNetworkAccessChecks',
    ],
  });
  const context = await browser.newContext({ locale: o.lang ?? 'en-GB', viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['camera', 'microphone']);
  const page = await context.newPage();
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    context,
    console: lines,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A stand-in for a Matrix client that shows the group's widget (as Element does): a page on its
 * own origin with the widget in an iframe, answering the widget API's requests over postMessage.
 * It hands out the OpenID token the test obtained for a real user from the homeserver.
 */
export function widgetHostHtml(o: {
  widgetUrl: string;
  widgetId: string;
  openid: { access_token: string; matrix_server_name: string; expires_in: number };
}): string {
  const config = JSON.stringify(o).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><title>widget host</title></head><body style="margin:0">
<iframe id="w" allow="camera; microphone; display-capture; autoplay; fullscreen" style="border:0;width:100vw;height:100vh"></iframe>
<script>
const cfg = ${config};
const frame = document.getElementById('w');
const widgetOrigin = new URL(cfg.widgetUrl).origin;
window.hostLog = [];
window.hostOnScreen = [];
window.addEventListener('message', (ev) => {
  if (ev.origin !== widgetOrigin || ev.source !== frame.contentWindow) return;
  const m = ev.data;
  if (!m || m.api !== 'fromWidget' || m.response) return;
  window.hostLog.push(m.action);
  let response = {};
  if (m.action === 'supported_api_versions') response = { supported_versions: ['0.0.1', '0.0.2', 'org.matrix.msc2762', 'org.matrix.msc2871'] };
  if (m.action === 'get_openid') response = { state: 'allowed', ...cfg.openid, token_type: 'Bearer' };
  if (m.action === 'set_always_on_screen') { window.hostOnScreen.push(m.data.value); response = { success: true }; }
  frame.contentWindow.postMessage({ ...m, response }, widgetOrigin);
});
frame.addEventListener('load', () => {
  frame.contentWindow.postMessage({ api: 'toWidget', widgetId: cfg.widgetId, requestId: 'caps-1', action: 'capabilities', data: {} }, widgetOrigin);
});
frame.src = cfg.widgetUrl;
</script></body></html>`;
}

/** Where the stand-in Matrix client is served (localhost is a secure context, like Element's https origin). */
const WIDGET_HOST = 'http://localhost:9';

/**
 * Opens the group's conference widget for `user` in the stand-in Matrix client on `b`'s page and
 * presses Join; resolves to the widget's frame.
 */
export async function joinThroughWidget(
  b: TestBrowser,
  o: { webUrl: string; roomId: string; userId: string; openid: Parameters<typeof widgetHostHtml>[0]['openid'] },
): Promise<FrameLocator> {
  const widgetId = 'foyer_conference';
  const q = (v: string) => encodeURIComponent(v);
  const widgetUrl = `${o.webUrl}/widget/conference?roomId=${q(o.roomId)}&userId=${q(o.userId)}&widgetId=${widgetId}&lang=de`;
  await b.page.route(`${WIDGET_HOST}/**`, (route) =>
    route.fulfill({ contentType: 'text/html', body: widgetHostHtml({ widgetUrl, widgetId, openid: o.openid }) }),
  );
  await b.page.goto(`${WIDGET_HOST}/`);
  const widget = b.page.frameLocator('#w');
  await widget.locator('button[data-action=join]').click({ timeout: 20_000 });
  await widget.locator('section[data-phase=conference]').waitFor({ timeout: 20_000 });
  return widget;
}

/** The conference tests' two browsers: a guest who speaks a German sentence, a moderator with a 600 Hz tone and German UI. */
export async function openGuestAndModerator(prefix = ''): Promise<{ guest: TestBrowser; moderator: TestBrowser }> {
  const guest = await openBrowser({
    name: `${prefix}guest`,
    microphone: { speech: 'Guten Tag, hier spricht Gerda aus dem Browser. Hören Sie mich?' },
  });
  const moderator = await openBrowser({ name: `${prefix}moderator`, microphone: { toneHz: 600 }, lang: 'de-DE' });
  return { guest, moderator };
}

/** What the conference page's test hook (`window.foyerConference.stats()`) reports. */
export interface PageStats {
  audio: { inboundPackets: number; inboundEnergy: number; outboundPackets: number } | null;
  video: { feed: string; framesDecoded: number; bytes: number }[];
  published: { source: string; framesSent: number }[];
}

/** The conference page's media counters (a page, or the widget's frame). */
export async function conferenceStats(p: Page | Frame): Promise<PageStats> {
  return p.evaluate(async () => {
    // Runs in the page, where globalThis is the window.
    const hook = (globalThis as unknown as { foyerConference?: { stats(): Promise<unknown> } }).foyerConference;
    if (!hook) throw new Error('no window.foyerConference on this page');
    return (await hook.stats()) as PageStats;
  });
}

/** The page's last console lines, for a failure message. */
export function consoleTail(b: TestBrowser, lines = 40): string {
  return b.console.slice(-lines).join('\n');
}
