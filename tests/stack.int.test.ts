// scripts/stack itself, on a stack of its own (embedded databases: SQLite + PGlite, the quick
// default): up writes stack.json and everything answers; a taken port fails fast naming the
// service and its log; down leaves no listening port of ours and no process behind.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { botUserIdOf, DEFAULT_BOT_LOCALPART } from '@foyer/common/matrix-ids';
import { stackLayout, tcpPorts, udpPorts } from '../scripts/lib/stack/layout.ts';
import { isAlive, portAnswers, udpFree } from '../scripts/lib/stack/proc.ts';
import { ROOT, runStack, type StackInfo } from './helpers/stack.ts';

const env = {
  ...process.env,
  FOYER_STACK_DIR: join(ROOT, '.stack-smoke'),
  // Below Linux's ephemeral range (32768–60999), like every port base of ours.
  FOYER_PORT_BASE: process.env.FOYER_SMOKE_PORT_BASE ?? '8000',
  FOYER_BOT_LOCALPART: undefined,
};
const layout = stackLayout(env);

function pids(): number[] {
  const dir = layout.run;
  return ['postgres', 'synapse', 'redis', 'livekit', 'livekit-2', 'bridge', 'sip-gateway', 'web']
    .map((n) => join(dir, `${n}.pid`))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8')));
}

describe('scripts/stack', () => {
  afterAll(async () => {
    await runStack(['reset'], env);
  });

  it('fails fast naming the service and its log when a port is taken, and leaves nothing running', async () => {
    await runStack(['reset'], env);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(layout.ports.bridgeApi, '127.0.0.1', r));
    try {
      const up = await runStack(['up'], env);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`bridge: port ${layout.ports.bridgeApi} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    for (const port of tcpPorts(layout)) expect(await portAnswers(port), `port ${port}`).toBe(false);
  });

  it('up starts everything and writes stack.json; down stops it all', async () => {
    const up = await runStack(['up'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Client: +http:\/\/127\.0\.0\.1:\d+/);
    expect(up.stdout).toMatch(/Test user: +@demo:localhost +password \S+/);

    const info = JSON.parse(readFileSync(layout.stackJson, 'utf8')) as StackInfo & {
      accounts: { demo: { userId: string; password: string } };
    };
    expect(info).toMatchObject({
      serverName: 'localhost',
      botUserId: botUserIdOf(DEFAULT_BOT_LOCALPART, 'localhost'), // FOYER_BOT_LOCALPART unset: the default
      sip: { host: '127.0.0.1', port: layout.ports.sip },
      db: 'embedded',
    });
    for (const key of ['homeserverUrl', 'registrationSharedSecret', 'webUrl', 'dialInNumber'] as const)
      expect(info[key]).toBeTruthy();
    // LiveKit is the only media plane: nothing of Janus, no plane choice.
    expect(info).not.toHaveProperty('janus');
    expect(info).not.toHaveProperty('plane');

    // Each part answers: Synapse, the web client, and the demo account can log in.
    expect((await fetch(`${info.homeserverUrl}/health`)).status).toBe(200);
    expect((await fetch(info.webUrl)).status).toBe(200);
    const login = await fetch(`${info.homeserverUrl}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'demo' },
        password: info.accounts.demo.password,
      }),
    });
    expect(login.status).toBe(200);
    const status = await runStack(['status'], env);
    expect(status.stdout).toMatch(/livekit +running/);
    expect(status.stdout).not.toMatch(/livekit-2|redis/); // one LiveKit node by default
    expect(info.livekit).toMatchObject({ url: `ws://127.0.0.1:${layout.ports.livekit}`, mode: 'single' });
    expect((await fetch(info.livekit.url.replace(/^ws/, 'http'))).status).toBe(200);
    const running = pids();
    expect(running.length).toBe(5); // no Postgres in the embedded mode

    const down = await runStack(['down'], env);
    expect(down.code, down.stderr).toBe(0);
    for (const port of tcpPorts(layout)) expect(await portAnswers(port), `port ${port}`).toBe(false);
    for (const port of udpPorts(layout)) expect(await udpFree(port), `UDP port ${port}`).toBe(true);
    for (const pid of running) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect((await runStack(['status'], env)).stdout).not.toMatch(/running/);
  });
});
