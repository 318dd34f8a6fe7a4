// Headless Chromium (Debian's) for end-to-end tests, driven by playwright-core: fake camera and
// microphone (a sine tone, or speech from espeak-ng, from a WAV file), a fresh profile each time,
// screenshots kept under .tools/reports/screenshots for people to look at after a run.
// Note: the page's microphone has noise suppression on, which fades a steady tone within
// seconds; speech passes, so a voice is what tests listen for at the other end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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
